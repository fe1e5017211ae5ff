"""Resets that did not follow the clock: classified when a reading is appended, listed for the debug view.
Pure, standard library only.

`early_reset` (a new period began before the announced reset, or the reset moved earlier),
`surprise_reset` (usage dropped while the announced reset stayed put, or the reset moved later),
`late_reset` (the old figures were still read well after the announced reset). An on-time reset is no
event. The event text names the window: `five_hour:early_reset` (several separated by spaces); the
projection (`tray.forecast.projection`) restarts there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from tray.base.values import record
from tray.forecast.projection import (
    DROP_TOLERANCE,
    PERIODS,
    RESET_SLACK,
    Point,
    starts_period,
    window_event,
    window_figures,
)
from tray.model.state import Reading

LATE_AFTER = timedelta(minutes=5)  # old figures this long after the announced reset: the reset came late


@record
class ResetEvent:
    """A reset that did not follow the clock, as recorded in the history."""

    at: datetime  # the first reading of the new period
    window: str
    kind: str  # one of RESET_KINDS
    announced: datetime | None  # when the old period said it would reset
    percent_before: float
    percent_after: float


def reset_event(history: Sequence[Reading], reading: Reading) -> str | None:
    """The event text for `reading` about to be appended after `history`: `five_hour:early_reset`, or None."""
    found: list[str] = []
    for window in PERIODS:
        percent, resets_at = window_figures(reading, window)
        if percent is None:
            continue
        previous = _last_point(history, window, reading.at)
        if previous is None:
            continue
        current = Point(reading.at, percent, resets_at)
        kind = _classify(previous, current)
        if kind:
            found.append(f"{window}:{kind}")
    return " ".join(found) or None


def reset_events(history: Sequence[Reading]) -> list[ResetEvent]:
    """Every recorded reset that did not follow the clock, oldest first."""
    events: list[ResetEvent] = []
    last_seen: dict[str, Reading] = {}
    for reading in history:
        for window in PERIODS:
            kind = window_event(reading.event, window)
            before = last_seen.get(window)
            percent, _ = window_figures(reading, window)
            if kind and percent is not None:
                announced = window_figures(before, window)[1] if before else None
                was = window_figures(before, window)[0] if before else None
                events.append(ResetEvent(reading.at, window, kind, announced,
                                         was if was is not None else percent, percent))
            if percent is not None:
                last_seen[window] = reading
    return events


def last_reset_event(history: Sequence[Reading]) -> ResetEvent | None:
    events = reset_events(history)
    return events[-1] if events else None


def _last_point(history: Sequence[Reading], window: str, before: datetime) -> Point | None:
    """The window's latest reading before `before`; scans from the end, as this runs on every append."""
    for reading in reversed(history):
        percent, resets_at = window_figures(reading, window)
        if percent is not None and reading.at < before:
            return Point(reading.at, percent, resets_at)
    return None


def _classify(previous: Point, current: Point) -> str | None:
    if not starts_period(previous, current):
        return None
    announced = previous.resets_at
    if announced is None:
        return None  # a window starting (or one never announced) is not a surprise
    if current.at >= announced - RESET_SLACK:
        return "late_reset" if previous.at > announced + LATE_AFTER else None
    moved = current.resets_at is not None and abs(current.resets_at - announced) > RESET_SLACK
    if current.resets_at is not None and current.resets_at < announced - RESET_SLACK:
        return "early_reset"  # the window now ends sooner than it said
    if current.percent < previous.percent - DROP_TOLERANCE:
        return "early_reset" if moved or current.resets_at is None else "surprise_reset"
    return "surprise_reset"  # the reset moved later with no drop: the schedule changed under us
