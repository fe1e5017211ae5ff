"""The bounded history of readings kept in the cache for pace and projection. Pure, stdlib only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tray.base.values import replace
from tray.forecast.projection import WINDOW_FIGURES, Point, starts_period
from tray.forecast.resets import reset_event
from tray.model.state import HISTORY_MAX, Reading
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
    if kept and _step(kept[-1].at) == _step(now):
        return (*kept, reading)[-HISTORY_MAX:]  # thinned once per 10-minute step: the minutes may pass 12 h a little
    return thin((*kept, reading))


# SPEC §11: every reading a minute apart for the last 12 h (the pace's), then one per 10 minutes back to 8 days,
# so the weekly window is always covered: about 720 + 1,080 readings, and a few more where a period began.
MINUTE_SPAN = timedelta(hours=12)
KEEP_SPAN = timedelta(days=8)
THIN_STEP = timedelta(minutes=10)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def thin(history: tuple[Reading, ...]) -> tuple[Reading, ...]:
    """The readings kept, counted back from the newest: every one of the last MINUTE_SPAN; before it, the last
    reading of each 10-minute step of the clock, every reading that recorded a reset event and the last one
    before a period began (so each period's peak stays exact); nothing older than KEEP_SPAN; HISTORY_MAX at most.

    Whoever applies it gets the same, and applying it again changes nothing: every writer merges through it.
    """
    if not history:
        return history
    newest = history[-1].at
    minute_from, keep_from = newest - MINUTE_SPAN, newest - KEEP_SPAN
    if history[0].at >= minute_from:
        return history[-HISTORY_MAX:]  # until the history is 12 hours old: nothing to thin
    split = 0
    while history[split].at < minute_from:  # the newest is not: the walk stops
        split += 1
    out: list[Reading] = []
    for i in range(split):
        reading, after = history[i], history[i + 1]
        if reading.at < keep_from:
            continue
        if _step(after.at) != _step(reading.at) or reading.event or _period_begins(reading, after):
            out.append(reading)
    out.extend(history[split:])
    return tuple(out[-HISTORY_MAX:])


def _step(at: datetime) -> int:
    return (at - _EPOCH) // THIN_STEP


def _period_begins(before: Reading, after: Reading) -> bool:
    """True when `after` is the first reading of a new period of either window."""
    for figures in WINDOW_FIGURES.values():
        (a, a_reset), (b, b_reset) = figures(before), figures(after)
        if a is not None and b is not None and starts_period(Point(before.at, a, a_reset), Point(after.at, b, b_reset)):
            return True
    return after.event is not None
