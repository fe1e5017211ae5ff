"""The tray projects from the same history tuple every minute; reusing the walk must never change an answer."""

from __future__ import annotations

from datetime import timedelta

from tests.test_projection import START, after, trace
from tray.forecast.projection import project
from tray.forecast.resets import last_reset_event
from tray.model.state import Reading


def fresh(history: tuple[Reading, ...]) -> tuple[Reading, ...]:
    return tuple(list(history))  # an equal tuple that is not the same object: nothing kept applies


def test_minute_after_minute_on_one_history_the_projection_equals_a_fresh_computation():
    history = trace([10 + 0.5 * i for i in range(41)])
    for minutes in (0, 1, 5, 9, 11):
        now = after(history, minutes)
        assert project(history, "five_hour", now) == project(fresh(history), "five_hour", now)


def test_a_clock_set_back_before_the_last_reading_is_not_answered_from_the_kept_walk():
    history = trace([10 + 0.5 * i for i in range(41)])
    project(history, "five_hour", after(history))  # kept for this history
    earlier = START + timedelta(minutes=30)  # the last ten readings are from the future now
    assert project(history, "five_hour", earlier) == project(fresh(history), "five_hour", earlier)
    assert project(history, "five_hour", earlier).readings == 31


def test_a_new_history_is_projected_from_its_own_readings():
    first = trace([10 + 0.5 * i for i in range(41)])
    project(first, "five_hour", after(first))
    second = trace([10 + 1.0 * i for i in range(41)])
    assert abs(project(second, "five_hour", after(second)).rate - 60) < 0.01


def test_the_last_unusual_reset_is_the_same_asked_twice_or_fresh():
    history = (*trace([40, 41, 42]), Reading(START + timedelta(minutes=3), 2.0, None, START + timedelta(hours=1),
                                              event="five_hour:early_reset"))
    assert last_reset_event(history) == last_reset_event(history) == last_reset_event(fresh(history))
    assert last_reset_event(history).kind == "early_reset"
