"""The history keeps readings a minute apart, however often Claude Code's status line reports."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from tray.forecast.projection import project
from tray.model.state import HISTORY_LIMIT, state_from_cache
from tray.model.usage import FIVE_HOURS, Usage, UsageWindow
from tray.store.history import MIN_SPACING, append_reading

START = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
RESET = START + FIVE_HOURS


def usage(five: float, resets_at: datetime | None = RESET) -> Usage:
    return Usage(five_hour=UsageWindow("five_hour", "5-hour", five, resets_at, FIVE_HOURS))


def test_a_status_line_reporting_every_ten_seconds_leaves_one_reading_a_minute():
    history: tuple = ()
    for i in range(180):  # 30 minutes, a report every 10 s, usage climbing 1 point a minute
        history = append_reading(history, usage(10 + i / 6), START + timedelta(seconds=10 * i))
    gaps = [b.at - a.at for a, b in zip(history, history[1:])]
    assert all(gap >= MIN_SPACING for gap in gaps[:-1])  # only the newest may be closer to the one before
    assert history[-1].at == START + timedelta(seconds=1790) and history[-1].five_hour == 10 + 179 / 6
    assert 29 <= len(history) <= 31


def test_frequent_reports_still_give_twelve_hours_of_history_and_a_projection():
    history: tuple = ()
    now, late_reset = START, START + timedelta(hours=13)
    for _ in range(HISTORY_LIMIT * 6):  # every 10 s for 12 hours
        now += timedelta(seconds=10)
        history = append_reading(history, usage((now - START) / timedelta(hours=1) * 5, late_reset), now)
    assert history[-1].at - history[0].at >= timedelta(hours=11, minutes=58)
    found = project(history, "five_hour", now)
    assert found is not None and abs(found.rate - 5) < 0.1  # 5 points an hour, as reported


def test_a_reset_seen_by_a_reading_that_is_then_replaced_is_kept_on_its_replacement():
    history: tuple = ()
    for minute in range(10):
        history = append_reading(history, usage(50 + minute), START + timedelta(minutes=minute))
    new_reset = START + timedelta(minutes=9) + FIVE_HOURS
    history = append_reading(history, usage(3, new_reset), START + timedelta(minutes=9, seconds=30))
    assert history[-1].event == "five_hour:early_reset"
    history = append_reading(history, usage(4, new_reset), START + timedelta(minutes=9, seconds=50))
    assert history[-1].five_hour == 4 and history[-1].event == "five_hour:early_reset"
    assert [r.five_hour for r in history[-2:]] == [59, 4]


entry_values = st.one_of(st.none(), st.booleans(), st.sampled_from([0, 1, 0.0, 1.0, 47.5, -3]),
                         st.sampled_from(["2026-11-30T12:00:00+00:00", "2026-11-30T12:01:00Z", "x"]),
                         st.lists(st.integers(), max_size=1), st.integers(0, 4 * 10**9))
entries = st.lists(st.one_of(
    st.fixed_dictionaries({"at": st.sampled_from(["2026-11-30T12:00:00+00:00", "2026-11-30T12:01:00+00:00",
                                                  "2026-11-30T12:02:00Z", 1, True])},
                          optional={k: entry_values for k in ("5h", "7d", "5h_resets_at", "7d_resets_at", "event")}),
    st.none(), st.integers()), max_size=8)


@settings(max_examples=400, deadline=None)
@given(entries, entries)
def test_a_history_read_after_another_reads_as_if_it_were_the_first(first: list, second: list) -> None:
    known: dict = {}
    state_from_cache({"tray": {"history": first}}, known=known)  # leaves its readings to be reused
    reused = state_from_cache({"tray": {"history": second}}, known=known).history
    assert reused == state_from_cache({"tray": {"history": second}}).history
