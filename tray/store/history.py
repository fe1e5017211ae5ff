"""The bounded history of readings kept in the cache for pace and projection. Pure, stdlib only."""

from __future__ import annotations

from datetime import datetime, timedelta

from tray.base.values import replace
from tray.forecast.resets import reset_event
from tray.model.state import HISTORY_LIMIT, Reading
from tray.model.usage import Usage


def figures(usage: Usage | None) -> tuple[tuple[str, float], ...]:
    """What counts as "the reading changed" for the adaptive interval."""
    if usage is None:
        return ()
    return tuple((w.key, round(w.utilization, 1)) for w in usage.windows())


# Claude Code runs its status line up to every 300 ms while a reply streams: a reading each time would fill the
# 720 places in minutes and leave the projection no span to judge. Readings are kept a minute apart (the
# newest is always the latest figure): 720 of them are at least 12 hours.
MIN_SPACING = timedelta(seconds=60)


def append_reading(history: tuple[Reading, ...], usage: Usage, now: datetime) -> tuple[Reading, ...]:
    """Add one reading; readings "from the future" (the clock jumped back) are dropped, the length bounded.

    The newest reading stands in for its minute: while it is less than MIN_SPACING after the one before it,
    a new reading replaces it rather than being added.
    """
    five, seven = usage.five_hour, usage.seven_day
    reading = Reading(
        at=now,
        five_hour=five.utilization if five else None,
        seven_day=seven.utilization if seven else None,
        five_hour_resets_at=five.resets_at if five else None,
        seven_day_resets_at=seven.resets_at if seven else None,
    )
    kept = tuple(r for r in history if r.at < now)
    if len(kept) >= 2 and kept[-1].at - kept[-2].at < MIN_SPACING:
        kept = kept[:-1]  # its reset event, if any, is found again against the reading before it
    # A reset that did not follow the clock is remembered on the reading: the debug view names it and the
    # projection restarts there (tray.forecast.projection).
    event = reset_event(kept, reading)
    if event:
        reading = replace(reading, event=event)
    return (*kept, reading)[-HISTORY_LIMIT:]
