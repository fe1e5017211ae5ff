"""Timestamps as the API, Claude Code and the cache write them. Standard library only."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

# Python 3.9/3.10 fromisoformat accepts only 0, 3 or 6 fraction digits and no "Z". (Patterns are compiled
# when first used, not at import: `claude-tray status` never needs them on 3.11+.)
_FRACTION = r"\.(\d+)"
_EPOCH_MS_THRESHOLD = 1e11  # seconds since epoch stay below this until the year 5138
# No reset, fetch or expiry lies outside these years. A moment near datetime's own limits (year 1 or
# 9999, which any tool may write) would overflow the first `now + period` or local-time conversion that
# a reader does with it, so it reads as "no time" like any other nonsense (found by fuzzing the cache).
_FIRST_YEAR, _LAST_YEAR = 1970, 2999


def parse_timestamp(value: object) -> datetime | None:
    """ISO-8601 text (with or without fraction/offset; naive means UTC) or epoch seconds/milliseconds.

    Returns an aware UTC datetime between 1970 and 2999, or None for anything else. Never raises.
    """
    moment = _parse(value)
    if moment is None or not _FIRST_YEAR <= moment.year <= _LAST_YEAR:
        return None
    return moment


def _parse(value: object) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            return _from_epoch(float(value))
        except OverflowError:  # an integer too big for a float is no moment
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text[4:5] == "-" and (text[-6:-5] in ("+", "-") or text[-1] == "Z"):
        # How our writers, the API and oh-my-claude write it (`…T08:00:12.566252+00:00`, `…T08:00:12Z`): Python
        # 3.11+ reads it as it is, and the history holds 720 of them. Anything else, or an older Python, takes
        # the long way.
        try:
            parsed = datetime.fromisoformat(text)
            if parsed.tzinfo is not None:  # naive (`2026-11-30`) means UTC: the long way says so
                return parsed.astimezone(timezone.utc)
        except (ValueError, OverflowError):
            pass
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return _from_epoch(float(text))
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    text = re.sub(_FRACTION, lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def _from_epoch(seconds: float) -> datetime | None:
    if not math.isfinite(seconds) or seconds < 0:
        return None
    if seconds >= _EPOCH_MS_THRESHOLD:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def format_utc(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, oh-my-claude's `updated_at` format."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_iso(moment: datetime) -> str:
    """Full-precision ISO text with offset, as the API writes `resets_at`."""
    return moment.astimezone(timezone.utc).isoformat()
