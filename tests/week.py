"""A simulated week of readings, as the tray's writers would have kept it: used by tests/test_history_week.py
and scripts/make_history_chart.py (the README's chart).

Eight days up to `end`, one reading a minute while the laptop is awake (it sleeps every night from 23:30 to
07:30, and once from Tuesday noon for 26 hours), written through the real `append_reading`, so the stored history is
what a real one is: minutes for the last 12 h, 10-minute steps before. Work comes in bursts on weekdays; the
5-hour window starts at the first message after its reset and resets five hours later; the weekly one resets on
schedule once, and once by surprise (usage drops to 0 while its announced reset stays: `seven_day:surprise_reset`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tray.model.state import Reading
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow
from tray.store.history import append_reading

MINUTE = timedelta(minutes=1)


@dataclass
class Week:
    history: tuple[Reading, ...]
    end: datetime
    surprise_at: datetime  # the first reading after the weekly window's surprise reset
    scheduled_reset: datetime  # the weekly window's on-schedule reset
    asleep: tuple[datetime, datetime]  # the long sleep (no readings)
    # per local-calendar day (of `end`'s zone): the highest figure read, per window, from every minute simulated
    peaks: dict[str, dict[str, float]] = field(default_factory=dict)


def _awake(at: datetime, long_sleep: tuple[datetime, datetime]) -> bool:
    if long_sleep[0] <= at < long_sleep[1]:
        return False
    minutes = at.hour * 60 + at.minute
    return 7 * 60 + 30 <= minutes < 23 * 60 + 30


def _working(at: datetime) -> float:
    """%/minute of the 5-hour window used at `at`: bursts on weekday hours, a little in the evening."""
    if at.weekday() >= 5:
        return 0.05 if 14 <= at.hour < 16 else 0.0
    if 9 <= at.hour < 12:
        return 0.7 if at.minute < 40 else 0.0
    if 13 <= at.hour < 18:
        return 0.35 if (at.minute // 15) % 2 == 0 else 0.05
    if 20 <= at.hour < 22:
        return 0.12
    return 0.0


def simulated_week(end: datetime) -> Week:
    """The history at `end` (an aware datetime; its zone is the "local" one of the days in `peaks`)."""
    start = (end - timedelta(days=8)).replace(second=0, microsecond=0)
    long_sleep = (start + timedelta(days=3, hours=12 - start.hour), start + timedelta(days=4, hours=14 - start.hour))
    weekly_reset = start + timedelta(days=2, hours=18 - start.hour)  # first reset on schedule, then a week on
    surprise = weekly_reset + timedelta(days=4, hours=3)
    five, seven = 0.0, 35.0  # the weekly window was running before the eight days
    five_reset: datetime | None = None
    seven_reset = weekly_reset
    history: tuple[Reading, ...] = ()
    peaks: dict[str, dict[str, float]] = {}
    surprised = False
    surprise_at: datetime | None = None
    at = start
    while at <= end:
        if five_reset is not None and at >= five_reset:
            five, five_reset = 0.0, None
        if at >= seven_reset:
            seven, seven_reset = 0.0, seven_reset + SEVEN_DAYS
        if not surprised and at >= surprise:
            seven, surprised = 0.0, True  # the announced reset stays where it was
        use = _working(at) if _awake(at, long_sleep) else 0.0
        if use:
            if five_reset is None:
                five_reset = at.replace(second=0) + FIVE_HOURS
            five = min(100.0, five + use)
            seven = min(100.0, seven + use / 9)
        if _awake(at, long_sleep):
            usage = Usage(
                five_hour=UsageWindow("five_hour", "5-hour", round(five, 2), five_reset, FIVE_HOURS),
                seven_day=UsageWindow("seven_day", "7-day", round(seven, 2), seven_reset, SEVEN_DAYS),
            )
            history = append_reading(history, usage, at)
            if surprised and surprise_at is None:
                surprise_at = at
            day = peaks.setdefault(at.astimezone(end.tzinfo).date().isoformat(), {"five_hour": 0.0, "seven_day": 0.0})
            day["five_hour"] = max(day["five_hour"], round(five, 2))
            day["seven_day"] = max(day["seven_day"], round(seven, 2))
        at += MINUTE
    assert surprise_at is not None, "the week ends before its surprise reset"
    return Week(history, end, surprise_at, weekly_reset, long_sleep, peaks)
