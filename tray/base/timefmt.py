"""Durations, clock times and weekdays as the menu and notifications say them. Pure, standard library only.

Everything takes the moment and the zone as parameters; nothing here reads the clock. Words are English on
purpose: the rest of the interface is English, and a locale's weekday next to English words reads worse.
"""

from __future__ import annotations

import math
import sys
import time
from datetime import datetime, timedelta, tzinfo

# `locale` is a Python wrapper around `_locale`; importing it compiles a regular expression and loads the
# encoding aliases, ~1.5 ms of `claude-tray status` for two calls that need neither.
try:
    import _locale as _c_locale
except ImportError:  # an interpreter without it: the public module stands in
    import locale as _c_locale  # type: ignore[no-redef]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MINUTE = timedelta(minutes=1)


def to_local(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """`moment` in `tz`, or in the system's local zone when `tz` is None (what `astimezone()` does).

    Never raises: a zone Python cannot use (`TZ=XXX+24` is a whole day off UTC) gives UTC, and a moment at
    the very edge of the calendar (year 1 west of UTC, year 9999 east of it) stays as it is.
    """
    try:
        return moment.astimezone(tz)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        from datetime import timezone

        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        return moment


def nearest_minute(moment: datetime) -> datetime:
    """The API writes resets as `19:59:59.600956`: shown truncated that would read 19:59 instead of 20:00."""
    floored = moment.replace(second=0, microsecond=0)
    return floored + _MINUTE if moment - floored >= timedelta(seconds=30) else floored


def use_locale_clock() -> None:
    """Reset times follow the user's locale (24 h or 12 h clock): Python starts in the C locale (24 h)."""
    try:
        _c_locale.setlocale(_c_locale.LC_TIME, "")
    except Exception:  # locale.Error (an unknown locale: the C clock stays); typeshed's _locale lacks Error
        pass


def locale_uses_24h() -> bool:
    """True unless the current LC_TIME locale writes times with AM/PM (after `use_locale_clock`).

    Reads locale state only, never the clock.
    """
    fmt = ""
    if sys.platform != "win32":  # Windows has no nl_langinfo
        try:
            fmt = _c_locale.nl_langinfo(_c_locale.T_FMT)
        except (AttributeError, ValueError):  # an interpreter built without it
            pass
    if fmt:
        return not any(code in fmt for code in ("%p", "%P", "%I", "%l", "%r"))
    # A fixed 13:00, so the answer never depends on the time of day: 12 h locales write "1" and a marker.
    sample = time.strftime("%X", (2001, 1, 1, 13, 0, 0, 0, 1, -1))
    return "13" in sample


def format_clock(moment: datetime, clock_24h: bool) -> str:
    """`18:00` or `6:00 PM` of an already-local moment. AM/PM is spelt out: some locales leave `%p` empty."""
    if clock_24h:
        return f"{moment.hour:02d}:{moment.minute:02d}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def format_weekday_clock(moment: datetime, clock_24h: bool) -> str:
    """`Thu 09:00` of an already-local moment."""
    return f"{_WEEKDAYS[moment.weekday()]} {format_clock(moment, clock_24h)}"


def format_span(span: timedelta) -> str:
    """`45 min`, `2 h 13 m`, `3 d 4 h`: two units at most, the smaller one dropped when it is zero."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} m" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_coarse(span: timedelta) -> str:
    """One unit only (`12 min`, `2 h`, `3 d`), for the tooltip where every character counts."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def format_countdown(until: datetime, now: datetime) -> str:
    """`in 2 h 14 m` up to a future moment; rounded up, so `now`'s minute plus the countdown is `until`."""
    seconds = (nearest_minute(until) - now).total_seconds()
    minutes = max(1, math.ceil(seconds / 60))
    return "in " + format_span(timedelta(minutes=minutes))


def format_age(since: datetime, now: datetime) -> str:
    """`just now`, `1 min ago`, `2 h 13 m ago` — rounded down, so a reading never looks younger than it is."""
    age = now - since
    if age < _MINUTE:
        return "just now"
    return format_span(age) + " ago"


def format_moment(moment: datetime, tz: tzinfo | None = None) -> str:
    """`2026-11-30 15:40:12 CET`: full local time for the copyable debug text."""
    local = to_local(moment, tz)
    name = local.tzname() or local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {name}".rstrip()
