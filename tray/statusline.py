"""`claude-tray statusline`: Claude Code's `statusLine` command (SPEC §2, §6).

Claude Code (≥ 2.1.80) pipes a JSON object to this command on every prompt; its `rate_limits` are the
same figures the usage endpoint gives, so we record them in the shared cache and the tray needs no
request of its own. This path runs very often: standard library only (a test proves it), no network,
and it never fails loudly — a status line that prints a traceback breaks the user's prompt.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import IO

from tray import cache
from tray.errors import TrayError
from tray.history import append_reading
from tray.paths import cache_path
from tray.state import CachedState
from tray.timeparse import parse_timestamp
from tray.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow

MAX_STDIN = 1 << 20


def usage_from_stdin(payload: object) -> Usage | None:
    """The `rate_limits` object as a partial Usage (5-hour and 7-day only), or None if absent."""
    if not isinstance(payload, Mapping):
        return None
    limits = payload.get("rate_limits")
    if not isinstance(limits, Mapping):
        return None
    five = _window(limits.get("five_hour"), "five_hour", "5-hour", FIVE_HOURS)
    seven = _window(limits.get("seven_day"), "seven_day", "7-day", SEVEN_DAYS)
    if five is None and seven is None:
        return None
    return Usage(five_hour=five, seven_day=seven)


def record(cache_file, usage: Usage, now: datetime) -> CachedState:
    """Merge the status line's windows into the cache; per-model windows and extra usage are kept."""

    def change(current: CachedState) -> CachedState:
        base = current.usage or Usage()
        merged = replace(
            base,
            five_hour=usage.five_hour or base.five_hour,
            seven_day=usage.seven_day or base.seven_day,
        )
        return replace(
            current,
            usage=merged,
            fetched_at=now,
            source="statusline",
            history=append_reading(current.history, merged, now),
        )

    return cache.update_state(cache_file, change, now=now)


def format_line(state: CachedState) -> str:
    usage = state.usage
    five = usage.five_hour if usage else None
    seven = usage.seven_day if usage else None
    return f"5h:{_pct(five)} 7d:{_pct(seven)}"


def main(
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> int:
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    now = now or datetime.now(timezone.utc)
    cache_file = cache_path(env)
    payload: object = None
    try:
        if stdin is not None and not stdin.isatty():
            payload = json.loads(stdin.read(MAX_STDIN) or "null")
    except (ValueError, RecursionError, OSError, UnicodeDecodeError):  # json raises RecursionError on deep nesting
        payload = None
    usage = usage_from_stdin(payload)
    state = None
    if usage is not None:
        try:
            state = record(cache_file, usage, now)
        except TrayError:
            state = CachedState(usage=usage, fetched_at=now, source="statusline")  # read-only disk: still show it
    if state is None:
        state = cache.read_state(cache_file)
    stdout.write(format_line(state) + "\n")
    return 0


def _window(raw: object, key: str, label: str, period) -> UsageWindow | None:
    if not isinstance(raw, Mapping):
        return None
    value = raw.get("used_percentage")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        percent = float(value)
    except OverflowError:  # an integer too big for a float
        return None
    # Python's json reads `Infinity` and `NaN`: no percentage, and Infinity would crash the printed line.
    if not math.isfinite(percent):
        return None
    return UsageWindow(key, label, percent, parse_timestamp(raw.get("resets_at")), period)


def _pct(window: UsageWindow | None) -> str:
    return f"{int(window.utilization)}%" if window is not None else "--"
