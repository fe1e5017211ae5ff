"""Projection on synthetic traces: steady burn, burst then idle, a reset mid-way, a sleeping laptop, a jumped clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tray.forecast.projection import project, projections, window_points
from tray.forecast.resets import last_reset_event, reset_event
from tray.model.state import Reading
from tray.model.usage import FIVE_HOURS, Usage, UsageWindow
from tray.store.history import append_reading

START = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
RESET = START + FIVE_HOURS  # the 5-hour window of these traces began at 12:00 and ends at 17:00
MIN = timedelta(minutes=1)


def trace(percents: list[float], *, start: datetime = START, step: timedelta = MIN,
          resets_at: datetime | None = RESET) -> tuple[Reading, ...]:
    """One reading per `step`, 5-hour window only."""
    return tuple(Reading(start + step * i, p, None, resets_at if p is not None else None)
                 for i, p in enumerate(percents))


def after(history: tuple[Reading, ...], minutes: float = 0) -> datetime:
    return history[-1].at + timedelta(minutes=minutes)


def test_a_steady_burn_of_30_percent_an_hour_projects_the_limit_with_high_confidence():
    history = trace([10 + 0.5 * i for i in range(41)])  # 10 % → 30 % over 40 min
    p = project(history, "five_hour", after(history))
    assert p is not None and p.confidence == "high"
    assert abs(p.rate - 30) < 0.01 and abs(p.rate_low - 30) < 0.01 and abs(p.rate_high - 30) < 0.01
    assert p.limit_at == after(history) + timedelta(hours=70 / 30)  # 70 points left at 30 %/h: 14:40 + 2 h 20 m
    assert not p.lasts_until_reset


def test_whole_percent_readings_still_give_a_steady_projection():
    history = trace([float(int(10 + 0.5 * i)) for i in range(41)])  # the status line truncates
    p = project(history, "five_hour", after(history))
    assert p is not None and p.confidence == "high"
    assert 27 < p.rate < 33


def test_a_slow_burn_lasts_until_reset():
    history = trace([20 + 0.05 * i for i in range(61)])  # 3 %/h, 77 points left, 4 h to the reset
    p = project(history, "five_hour", after(history))
    assert p is not None and p.lasts_until_reset and p.limit_at is None


def test_idle_usage_lasts_until_reset():
    p = project(trace([40.0] * 30), "five_hour", START + timedelta(minutes=29))
    assert p is not None and p.lasts_until_reset and p.rate == 0


def test_too_few_readings_or_too_short_a_span_give_no_projection():
    assert project(trace([10, 20]), "five_hour", START + MIN) is None  # two readings
    assert project(trace([10, 11, 12, 13, 14]), "five_hour", START + 4 * MIN) is None  # 4 minutes
    assert project(trace([10, 11, 12], step=5 * MIN), "five_hour", START + 10 * MIN) is not None


def test_a_burst_then_idle_widens_the_interval_and_lowers_confidence():
    burst = [5 + 2 * i for i in range(16)]  # 5 → 35 % in 15 minutes
    history = trace(burst + [35] * 45)  # then an hour of nothing
    p = project(history, "five_hour", after(history))
    assert p is not None and p.confidence == "low"
    assert p.rate_low == 0 and p.rate_high >= 100
    assert p.latest is None  # at the idle rate it lasts
    assert p.earliest is not None and p.earliest < after(history, 45)  # at the burst rate, within the hour


def test_a_reset_in_the_middle_restarts_the_projection():
    before = trace([60 + i for i in range(30)], resets_at=START + timedelta(minutes=35))
    restart = START + timedelta(minutes=36)
    after_reset = trace([1 + 0.2 * i for i in range(20)], start=restart, resets_at=restart + FIVE_HOURS)
    history = before + after_reset
    p = project(history, "five_hour", after(history))
    assert p is not None
    assert p.since == restart and p.readings == 20
    assert abs(p.rate - 12) < 0.01  # the new period's pace, not the 60 %/h before
    assert p.resets_at == restart + FIVE_HOURS


def test_right_after_a_reset_there_is_no_projection_until_enough_new_readings():
    before = trace([60 + i for i in range(30)], resets_at=START + timedelta(minutes=30))
    restart = START + timedelta(minutes=31)
    history = before + trace([1, 2], start=restart, resets_at=restart + FIVE_HOURS)
    assert project(history, "five_hour", after(history)) is None


def test_a_sleeping_laptop_spreads_what_was_used_meanwhile_over_the_gap():
    awake = trace([10 + 0.5 * i for i in range(21)])  # 30 %/h for 20 minutes, to 20 %
    woke = START + timedelta(hours=2)  # asleep 100 minutes; the phone used 10 points meanwhile
    again = trace([30 + 0.5 * i for i in range(11)], start=woke)
    history = awake + again
    p = project(history, "five_hour", after(history))
    assert p is not None
    assert abs(p.rate - 25 / 2.1667) < 0.1  # 25 points in 2 h 10 m
    # The ten points across the gap are a slow climb, not ten points in one minute.
    assert p.rate_high <= 30.01


def test_readings_from_the_future_or_out_of_order_are_ignored():
    history = trace([10 + 0.5 * i for i in range(21)])
    now = after(history)
    jumped = (
        *history[:10],
        Reading(START + timedelta(hours=3), 95.0, None, RESET),  # a clock that ran ahead
        Reading(START + timedelta(minutes=2), 99.0, None, RESET),  # and one written out of order
        *history[10:],
    )
    assert [pt.percent for pt in window_points(jumped, "five_hour", now)] == [r.five_hour for r in history]
    assert project(jumped, "five_hour", now) == project(history, "five_hour", now)


def test_never_projects_past_the_reset():
    history = trace([10 + 0.5 * i for i in range(41)], resets_at=START + timedelta(minutes=90))
    p = project(history, "five_hour", after(history))  # the limit would come at 17:00, the reset is 13:30
    assert p is not None and p.lasts_until_reset


def test_no_projection_from_an_old_reading_a_past_reset_or_a_window_at_its_limit():
    history = trace([10 + 0.5 * i for i in range(41)])
    assert project(history, "five_hour", after(history, 11)) is None  # 11 minutes stale
    assert project(history, "five_hour", RESET + MIN) is None
    full = trace([90 + 0.5 * i for i in range(25)])  # 102 % at the end
    assert project(full, "five_hour", after(full)) is None


def test_the_weekly_window_needs_an_hour_of_readings():
    weekly_reset = START + timedelta(days=3)
    short = tuple(Reading(START + MIN * 5 * i, None, 20 + 0.1 * i, None, weekly_reset) for i in range(10))
    assert projections(short, after(short)) == {}
    long = tuple(Reading(START + MIN * 5 * i, None, 20 + 0.1 * i, None, weekly_reset) for i in range(30))
    found = projections(long, after(long))
    assert set(found) == {"seven_day"}
    weekly = found["seven_day"]  # 1.2 %/h: 77 points last 64 h, the reset is 69 h away
    assert weekly.limit_at is not None and abs((weekly.limit_at - after(long)) / timedelta(hours=1) - 64.25) < 0.01
    # Two and a half busy hours do not speak for the next three days, nights included: low confidence, and
    # the window's average since it began (23 % in four days) says it may well last.
    assert weekly.confidence == "low" and weekly.latest is None and weekly.rate_low < 0.3


def usage(five: float, resets_at: datetime | None) -> Usage:
    return Usage(five_hour=UsageWindow("five_hour", "5-hour", five, resets_at, FIVE_HOURS))


def test_a_drop_before_the_announced_reset_is_recorded_as_an_early_reset():
    history = trace([50 + i for i in range(10)])
    new_reset = START + timedelta(minutes=10) + FIVE_HOURS
    history = append_reading(history, usage(3, new_reset), START + timedelta(minutes=10))
    assert history[-1].event == "five_hour:early_reset"
    event = last_reset_event(history)
    assert event is not None and (event.window, event.kind, event.announced) == ("five_hour", "early_reset", RESET)
    assert (event.percent_before, event.percent_after) == (59, 3)


def test_a_drop_with_the_same_announced_reset_is_a_surprise():
    history = trace([50 + i for i in range(10)])
    history = append_reading(history, usage(0, RESET), START + timedelta(minutes=10))
    assert history[-1].event == "five_hour:surprise_reset"


def test_a_reset_moved_earlier_is_early_even_without_a_drop():
    history = trace([50 + i for i in range(10)])
    history = append_reading(history, usage(59, RESET - timedelta(hours=1)), START + timedelta(minutes=10))
    assert history[-1].event == "five_hour:early_reset"


def test_old_figures_read_well_after_the_reset_make_the_reset_late():
    reset = START + timedelta(minutes=5)
    history = trace([80 + i for i in range(15)], resets_at=reset)  # still 94 % at 12:14, reset said 12:05
    history = append_reading(history, usage(0, None), START + timedelta(minutes=15))
    assert history[-1].event == "five_hour:late_reset"


def test_a_reset_on_time_is_no_event():
    reset = START + timedelta(minutes=10)
    history = trace([80 + i for i in range(10)], resets_at=reset)
    for percent, moment in ((0, reset + MIN), (5, reset + 2 * MIN)):
        history = append_reading(history, usage(percent, reset + FIVE_HOURS), moment)
    assert all(r.event is None for r in history)
    assert last_reset_event(history) is None


def test_the_projection_restarts_from_a_surprise_reset_even_without_a_moved_reset_time():
    history = trace([50 + i for i in range(10)])
    history = append_reading(history, usage(0, RESET), START + timedelta(minutes=10))
    for i in range(1, 15):
        history = append_reading(history, usage(0.5 * i, RESET), START + timedelta(minutes=10 + i))
    p = project(history, "five_hour", after(history))
    assert p is not None and p.since == START + timedelta(minutes=10) and abs(p.rate - 30) < 0.01


def test_whole_and_fractional_figures_from_two_sources_are_no_reset():
    history = trace([47.6, 47.0, 47.8, 47.0])  # the API's fraction, the status line's whole percent
    assert reset_event(history[:-1], history[-1]) is None
