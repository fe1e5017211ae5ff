"""The bounded history of readings kept in the cache for pace and projection. Pure, stdlib only."""

from __future__ import annotations

from datetime import datetime

from tray.projection import reset_event
from tray.record import replace
from tray.state import HISTORY_LIMIT, Reading
from tray.usage import Usage


def figures(usage: Usage | None) -> tuple[tuple[str, float], ...]:
    """What counts as "the reading changed" for the adaptive interval."""
    if usage is None:
        return ()
    return tuple((w.key, round(w.utilization, 1)) for w in usage.windows())


def append_reading(history: tuple[Reading, ...], usage: Usage, now: datetime) -> tuple[Reading, ...]:
    """Add one reading; readings "from the future" (the clock jumped back) are dropped, the length bounded."""
    five, seven = usage.five_hour, usage.seven_day
    reading = Reading(
        at=now,
        five_hour=five.utilization if five else None,
        seven_day=seven.utilization if seven else None,
        five_hour_resets_at=five.resets_at if five else None,
        seven_day_resets_at=seven.resets_at if seven else None,
    )
    kept = tuple(r for r in history if r.at < now)
    # A reset that did not follow the clock is remembered on the reading: the debug view names it and the
    # projection restarts there (tray.projection).
    event = reset_event(kept, reading)
    if event:
        reading = replace(reading, event=event)
    return (*kept, reading)[-HISTORY_LIMIT:]
