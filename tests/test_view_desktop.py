"""Menu words for what a user sees on a real desktop (issue 14): the wedge explained, signed out said so."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tray.model.state import CachedState, LastError
from tray.model.usage import parse_usage
from tray.show.look import Look
from tray.show.view import assess, build_view

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def usage(five: float, five_left: timedelta) -> object:
    return parse_usage({"five_hour": {"utilization": five, "resets_at": (NOW + five_left).isoformat()},
                        "seven_day": {"utilization": 10, "resets_at": (NOW + timedelta(days=6)).isoformat()}})


def test_a_ring_ahead_of_pace_has_a_menu_line_saying_what_its_wedge_means() -> None:
    state = CachedState(usage=usage(80, timedelta(hours=4)), fetched_at=NOW)  # 80 % used, 20 % of time gone
    lines = build_view(state, NOW, clock_24h=True).lines
    assert "▼ on the ring: 5-hour ahead of pace — 80% used, 20% of its time gone" in lines
    calm = build_view(CachedState(usage=usage(10, timedelta(hours=1)), fetched_at=NOW), NOW, clock_24h=True).lines
    assert not [line for line in calm if line.startswith("▼")]


def test_after_the_credentials_are_deleted_an_expired_token_on_record_reads_signed_out() -> None:
    state = CachedState(usage=usage(40, timedelta(hours=2)), fetched_at=NOW - timedelta(minutes=1),
                        last_error=LastError(at=NOW, kind="expired", message="token expired", status=401))
    status = assess(state, NOW, credentials_problem="no_credentials")
    assert status.look is Look.SIGNED_OUT
    assert "expired" not in status.line.lower()
