"""Timestamps read the same whichever way they are written, and whatever the machine's own zone is."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from tray.timeparse import parse_timestamp

FIVE_UTC = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)


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
