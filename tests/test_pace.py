"""The paces stored beside the history project exactly what the history itself projects."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tray.forecast.projection import PERIODS, finish, pace, paces_of, project, projections
from tray.model.pace import Pace, Paces
from tray.model.state import CachedState, state_from_cache, state_to_show
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow
from tray.show.report import status_json, status_text
from tray.store import cache
from tray.store.history import append_reading

START = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)

steps = st.lists(st.tuples(
    st.integers(10, 90 * 60),  # seconds since the previous report
    st.floats(-30, 8, allow_nan=False),  # change of the 5-hour figure (a big drop is a reset)
    st.floats(-1, 2, allow_nan=False),  # change of the weekly figure
    st.sampled_from([0, 0, 0, 3600, -1800]),  # the 5-hour reset moving
), min_size=0, max_size=60)


def history_from(moves: list[tuple[int, float, float, int]]) -> tuple:
    history: tuple = ()
    now, five, seven = START, 10.0, 30.0
    five_reset, seven_reset = START + FIVE_HOURS, START + SEVEN_DAYS - timedelta(hours=30)
    for seconds, d_five, d_seven, moved in moves:
        now += timedelta(seconds=seconds)
        five, seven = min(120.0, max(0.0, five + d_five)), min(100.0, max(0.0, seven + d_seven))
        five_reset += timedelta(seconds=moved)
        usage = Usage(five_hour=UsageWindow("five_hour", "5-hour", five, five_reset, FIVE_HOURS),
                      seven_day=UsageWindow("seven_day", "7-day", seven, seven_reset, SEVEN_DAYS))
        history = append_reading(history, usage, now)
    return history


@settings(max_examples=300, deadline=None)
@given(steps, st.integers(0, 3 * 3600))
def test_finishing_a_stored_pace_gives_the_projection_of_the_history(moves, later_s: int) -> None:
    history = history_from(moves)
    paces = paces_of(history)
    if not history:
        assert paces is None
        return
    now = paces.through + timedelta(seconds=later_s)
    kept = {p.window: p for p in paces.windows}
    for window in PERIODS:
        expected = project(history, window, now)
        got = finish(kept[window], now) if window in kept else None
        assert got == expected
    assert projections((), now, paces=paces) == projections(history, now)
    restored = Paces.from_section(json.loads(json.dumps({"pace": paces.to_dict(),
                                                          "history": [r.to_dict() for r in history]})))
    assert restored == paces  # through the cache's JSON and back, to the microsecond


def test_status_reads_no_history_when_the_paces_answer_and_prints_the_same(tmp_path: Path) -> None:
    history = history_from([(60, 0.4, 0.05, 0)] * 90)
    usage = Usage(five_hour=UsageWindow("five_hour", "5-hour", history[-1].five_hour,
                                        history[-1].five_hour_resets_at, FIVE_HOURS),
                  seven_day=UsageWindow("seven_day", "7-day", history[-1].seven_day,
                                        history[-1].seven_day_resets_at, SEVEN_DAYS))
    written_at = history[-1].at
    path = tmp_path / ".usage_cache"
    cache.update_state(path, lambda _: CachedState(usage=usage, fetched_at=written_at, source="api",
                                                   history=history), now=written_at)
    raw = cache.read_cache(path)
    now = written_at + timedelta(minutes=3)
    full, shown = state_from_cache(raw), state_to_show(raw, now)
    assert shown.history == () and shown.paces is not None and len(full.history) == 90
    kwargs = {"tz": timezone.utc, "clock_24h": True}
    assert status_text(shown, now, **kwargs) == status_text(full, now, **kwargs)
    assert "at this pace: limit at" in status_text(shown, now, **kwargs)
    assert status_json(shown, now, tz=timezone.utc) == status_json(full, now, tz=timezone.utc)
    # A clock behind the newest reading cannot use them: the history is read after all.
    assert state_to_show(raw, written_at - timedelta(minutes=1)).history == full.history


def test_paces_from_another_history_are_not_trusted() -> None:
    history = history_from([(60, 0.5, 0.1, 0)] * 30)
    paces = paces_of(history)
    section = {"pace": paces.to_dict(), "history": [r.to_dict() for r in history[:-1]]}  # newest reading gone
    assert Paces.from_section(section) is None
    broken = {"pace": {**paces.to_dict(), "windows": [{"window": "five_hour"}]}, "history": section["history"]}
    assert Paces.from_section(broken) is None
    assert pace((), "five_hour", START) is None and Pace.from_dict({"window": 1}) is None
