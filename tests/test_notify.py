"""Which notifications are due: thresholds once per window period, "available again" after a full window."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tray.base.values import replace
from tray.model.state import CachedState, LastError, Reading
from tray.model.usage import Usage, parse_usage
from tray.show.notify import AVAILABLE_AGAIN, Notification, due_notifications, mark_sent

UTC1 = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 30, 14, 46, tzinfo=timezone.utc)
RESET = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)  # over_limit.json's 5-hour reset
KEY = "five_hour@2026-11-30T17:00:00+00:00"


@pytest.fixture
def base(fixtures: Path) -> Usage:
    """over_limit.json with only its 5-hour window, whose utilization each test sets."""
    usage = parse_usage(json.loads((fixtures / "api" / "over_limit.json").read_text()))
    return replace(usage, seven_day=None, models=())


def state_at(usage: Usage, percent: float, *, now: datetime = NOW, resets_at: datetime | None = RESET,
             **fields: object) -> CachedState:
    window = replace(usage.five_hour, utilization=percent, resets_at=resets_at)
    values: dict[str, object] = {"usage": replace(usage, five_hour=window), "fetched_at": now - timedelta(minutes=1),
                                 "source": "api"}
    values.update(fields)
    return CachedState(**values)  # type: ignore[arg-type]


def due(state: CachedState, now: datetime = NOW) -> tuple[Notification, ...]:
    return due_notifications(state, now, tz=UTC1, clock_24h=True)


def test_crossing_80_gives_one_note_with_the_reset_time(base: Usage) -> None:
    assert due(state_at(base, 79)) == ()
    assert due(state_at(base, 81)) == (
        Notification(KEY, 80, "Claude 5-hour limit at 80%", "Resets in 2 h 14 m (18:00)."),
    )


def test_from_81_to_95_only_the_90_note_comes(base: Usage) -> None:
    notified = mark_sent({}, due(state_at(base, 81)), NOW)
    notes = due(state_at(base, 95, notified=notified))
    assert [(n.threshold, n.title) for n in notes] == [(90, "Claude 5-hour limit at 90%")]


def test_a_first_reading_past_two_thresholds_announces_only_the_highest(base: Usage) -> None:
    assert [n.threshold for n in due(state_at(base, 100))] == [100]


def test_nothing_repeats_once_marked_sent(base: Usage) -> None:
    notified: dict[str, tuple[int, ...]] = {}
    for percent in (81, 95, 100):
        notified = mark_sent(notified, due(state_at(base, percent, notified=notified)), NOW)
        assert due(state_at(base, percent, notified=notified)) == ()
    assert notified == {KEY: (80, 90, 100)}


def test_a_resets_at_fraction_that_differs_per_response_is_the_same_period(base: Usage) -> None:
    notified = mark_sent({}, due(state_at(base, 85, resets_at=RESET - timedelta(seconds=0.4))), NOW)
    assert due(state_at(base, 85, resets_at=RESET + timedelta(seconds=0.3), notified=notified)) == ()


def test_the_next_period_re_arms_the_thresholds(base: Usage) -> None:
    notified = mark_sent({}, due(state_at(base, 85)), NOW)
    later = RESET + timedelta(hours=1)
    notes = due(state_at(base, 85, now=later, resets_at=RESET + timedelta(hours=5), notified=notified), later)
    assert [(n.key, n.threshold) for n in notes] == [("five_hour@2026-11-30T22:00:00+00:00", 80)]


def test_available_again_after_a_window_that_hit_its_limit_resets(base: Usage) -> None:
    notified = mark_sent({}, due(state_at(base, 100)), NOW)
    after = RESET + timedelta(minutes=2)
    new_period = state_at(base, 3, now=after, resets_at=RESET + timedelta(hours=5), notified=notified)
    notes = due(new_period, after)
    assert notes == (
        Notification(KEY, AVAILABLE_AGAIN, "Claude 5-hour limit available again",
                     "Now at 3%; resets in 4 h 58 m (23:00)."),
    )
    assert notes[0].threshold == AVAILABLE_AGAIN
    notified = mark_sent(notified, notes, after)
    assert due(replace(new_period, notified=notified), after) == ()


def test_available_again_when_the_new_window_has_not_started(base: Usage) -> None:
    notified = {KEY: (80, 90, 100)}
    after = RESET + timedelta(minutes=1)
    notes = due(state_at(base, 0, now=after, resets_at=None, notified=notified), after)
    assert [(n.key, n.message) for n in notes] == [(KEY, "Now at 0%; the window starts with your next message.")]


def test_available_again_is_found_in_the_history_when_nothing_was_sent(base: Usage) -> None:
    # The tray was started while the limit was hit by someone else's session: only the history knows.
    history = (Reading(at=NOW, five_hour=100.0, seven_day=50.0, five_hour_resets_at=RESET),)
    after = RESET + timedelta(minutes=5)
    notes = due(state_at(base, 1, now=after, resets_at=RESET + timedelta(hours=5), history=history), after)
    assert [(n.key, n.threshold) for n in notes] == [(KEY, AVAILABLE_AGAIN)]


def test_no_available_again_when_the_previous_window_stopped_short_of_its_limit(base: Usage) -> None:
    after = RESET + timedelta(minutes=2)
    notes = due(state_at(base, 3, now=after, resets_at=RESET + timedelta(hours=5), notified={KEY: (80, 90)}), after)
    assert notes == ()


def test_nothing_from_a_stale_reading(base: Usage) -> None:
    assert due(state_at(base, 95, fetched_at=NOW - timedelta(hours=2))) == ()


def test_nothing_while_the_last_fetch_failed(base: Usage) -> None:
    error = LastError(at=NOW, kind="rate_limited", message="Rate limited.", status=429)
    assert due(state_at(base, 95, last_error=error)) == ()


def test_nothing_for_a_figure_read_before_its_reset(base: Usage) -> None:
    after = RESET + timedelta(minutes=3)
    assert due(state_at(base, 100, now=after), after) == ()


def test_every_window_speaks_for_itself(fixtures: Path) -> None:
    usage = parse_usage(json.loads((fixtures / "api" / "limits_array.json").read_text()))
    now = datetime(2026, 7, 19, 1, 0, tzinfo=timezone.utc)
    state = CachedState(usage=usage, fetched_at=now, source="api")
    assert due(state, now) == (
        Notification("model:fable@2026-07-23T15:00:00+00:00", 80, "Claude 7-day Fable limit at 80%",
                     "Resets Thu 16:00."),
    )


def test_mark_sent_forgets_periods_long_over_and_stays_bounded() -> None:
    old = {"five_hour@2026-11-20T17:00:00+00:00": (80,), KEY: (80,)}
    assert mark_sent(old, (), NOW) == {KEY: (80,)}
    many = {f"model:m{i}@{(NOW + timedelta(minutes=i)).isoformat()}": (80,) for i in range(500)}
    kept = mark_sent(many, (), NOW)
    assert len(kept) == 64
    assert f"model:m499@{(NOW + timedelta(minutes=499)).isoformat()}" in kept


def test_no_available_again_for_a_reset_long_past(base: Usage) -> None:
    # The laptop slept through the reset and half a day more: that news is no longer news.
    after = RESET + timedelta(hours=13)
    state = state_at(base, 3, now=after, resets_at=RESET + timedelta(hours=15), notified={KEY: (80, 90, 100)})
    assert due(state, after) == ()
