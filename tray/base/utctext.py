"""UTC moments as our writers write them, read and written as text: no datetime, no regular expression.

For the status line's fast path (`tray.statusline`), which answers most of Claude Code's runs from the cache
file's JSON alone: `datetime` alone is ~1.5 ms of a run that costs ~20. Anything not written our way reads
as None, and the caller then takes the long way (`tray.base.timeparse`).
"""

from __future__ import annotations

import time


def utc_text(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def utc_micros(value: object) -> int | None:
    """Microseconds since the epoch of a moment as our writers write it — `YYYY-MM-DDTHH:MM:SS`, then `.` and
    1–6 digits or nothing, then `+00:00` or `Z` — between 1970 and 2999 (as `parse_timestamp` reads); None
    for anything else, which the caller then reads the long way. Needs neither datetime nor a regex."""
    if not isinstance(value, str) or len(value) < 20:
        return None
    head, tail = value[:19], value[19:]
    if tail.endswith("Z"):
        fraction = tail[:-1]
    elif tail.endswith("+00:00"):
        fraction = tail[:-6]
    else:
        return None
    if fraction and not (fraction[0] == "." and 1 <= len(fraction) - 1 <= 6 and fraction[1:].isascii()
                         and fraction[1:].isdigit()):
        return None
    seconds = utc_seconds(head)
    if seconds is None or not _FIRST_S <= seconds < _AFTER_LAST_S:
        return None
    return seconds * 1_000_000 + int((fraction[1:] + "000000")[:6])


_FIRST_S, _AFTER_LAST_S = 0, 32_503_680_000  # 1970-01-01 and 3000-01-01, UTC


def utc_seconds(text: str) -> int | None:
    """`YYYY-MM-DDTHH:MM:SS` (UTC) as epoch seconds; None unless it is exactly a real moment written so."""
    digits = text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]
    if len(text) != 19 or len(digits) != 14 or not (digits.isascii() and digits.isdigit()):
        return None
    year, month, day = int(text[:4]), int(text[5:7]), int(text[8:10])
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    year -= month <= 2
    era, year_of_era = divmod(year, 400)
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    seconds = ((era * 146097 + day_of_era - 719468) * 24 + int(text[11:13])) * 3600 + int(text[14:16]) * 60
    seconds += int(text[17:19])
    try:
        same = utc_text(seconds) == text  # refuses 31 November, 24:00, 12:60 and wrong separators
    except (OverflowError, OSError, ValueError):
        return None
    return seconds if same else None
