"""Timestamps read the same whichever way they are written, and whatever the machine's own zone is."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tray.base.timeparse import parse_timestamp
from tray.base.utctext import utc_micros

FIVE_UTC = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch):
    """A machine five hours behind UTC: a naive time read as local would come out five hours late."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("text, expected", [
    ("2026-11-30T05:00:00+00:00", FIVE_UTC),
    ("2026-11-30T05:00:00Z", FIVE_UTC),
    ("2026-11-30T00:00:00-05:00", FIVE_UTC),
    ("2026-11-30T05:00:00.1234567Z", FIVE_UTC.replace(microsecond=123456)),
    ("2026-11-30T05:00:00", FIVE_UTC),  # naive means UTC, never the machine's zone
    ("2026-11-30", FIVE_UTC.replace(hour=0)),
    ("2026-11-30 05:00:00z", FIVE_UTC),
])
def test_every_way_of_writing_a_moment_reads_as_the_same_utc_time(new_york, text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected and parsed.tzinfo == timezone.utc


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(3010, 1, 1)), st.integers(0, 999_999),
       st.sampled_from(["+00:00", "Z", ".{f}+00:00", ".{f}Z", "+01:00", ".{f}", ".{f}0000000Z"]))
def test_the_text_reader_of_our_moments_agrees_with_the_full_parser(moment: datetime, micros: int, tail: str) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + tail.format(f=f"{micros:06d}")
    parsed, cheap = parse_timestamp(text), utc_micros(text)
    if cheap is not None:  # it may decline (then the caller parses); it never disagrees
        assert parsed is not None and cheap == (parsed - EPOCH) // timedelta(microseconds=1)
    elif tail in ("+00:00", "Z", ".{f}+00:00", ".{f}Z") and 1970 <= moment.year <= 2999:
        raise AssertionError(f"declined our own format: {text}")


@pytest.mark.parametrize("text", ["2026-11-31T12:00:00Z", "2026-02-29T12:00:00Z", "2026-11-30T24:00:00Z",
                                  "2026-11-30T12:60:00+00:00", "2026-11-30 12:00:00Z", "2026-11-30T12:00:00.Z",
                                  "２０２６-11-30T12:00:00Z"])
def test_the_text_reader_declines_what_is_not_a_real_moment_written_our_way(text: str) -> None:
    assert utc_micros(text) is None
