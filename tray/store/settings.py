"""Numbers people set through the environment (CLAUDE_TRAY_INTERVAL, CLAUDE_TRAY_TICK_SECONDS)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from tray.errors import UsageError


def env_seconds(env: Mapping[str, str], name: str) -> float | None:
    """A positive number of seconds from `env[name]`; unset is None; anything else is a one-sentence error."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{name} must be a positive number of seconds, not {raw!r}.")
    return value
