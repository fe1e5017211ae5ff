"""The tray's menu text, tooltip, look and ring spec, computed from fixture readings at an injected `now`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tray.base import timefmt
from tray.base.timefmt import format_age, format_countdown, locale_uses_24h
from tray.base.values import replace
from tray.model.state import CachedState, GateState, LastError
from tray.model.usage import Usage, parse_usage
from tray.show.debugtext import debug_text
from tray.show.look import Look
from tray.show.view import TITLE_LIMIT, build_view

UTC1 = timezone(timedelta(hours=1))
FAKE_TOKEN = "sk-ant-oat01-FAKEFAKEFAKEFAKEFAKEFAKE-testonly"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def usage_of(fixtures: Path, name: str) -> Usage:
    return parse_usage(json.loads((fixtures / "api" / f"{name}.json").read_text()))


def fresh(usage: Usage, now: datetime, **fields: object) -> CachedState:
    values: dict[str, object] = {"usage": usage, "fetched_at": now - timedelta(minutes=1), "source": "api",
                                 "plan": "max"}
    values.update(fields)
    return CachedState(**values)  # type: ignore[arg-type]


# over_limit.json: 5-hour resets 2026-11-30T17:00Z, 7-day and Opus 2026-12-04T09:00Z (a Friday).
OVER_NOW = at("2026-11-30T14:46:00+00:00")
# The accessible title of the over-limit account, up to its age: every figure, in one sentence (SPEC §5).
OVER_TITLE = "Claude usage: 5-hour 100 %, resets 18:00; weekly 103 %; Opus 100 %; extra usage €20.00; updated "


@pytest.fixture
def over_limit(fixtures: Path) -> Usage:
    return usage_of(fixtures, "over_limit")


def test_five_hour_line_counts_down_and_gives_the_local_clock_time(over_limit: Usage) -> None:
    view = build_view(fresh(over_limit, OVER_NOW), OVER_NOW, tz=UTC1, clock_24h=True)
    assert view.lines[1] == "5-hour 100% — resets in 2 h 14 m (18:00)"


def test_twelve_hour_clock_writes_am_pm(over_limit: Usage) -> None:
    view = build_view(fresh(over_limit, OVER_NOW), OVER_NOW, tz=UTC1, clock_24h=False)
    assert view.lines[1] == "5-hour 100% — resets in 2 h 14 m (6:00 PM)"
    assert view.lines[2] == "7-day 103% — resets Fri 10:00 AM"


def test_full_menu_of_an_account_over_its_limits(over_limit: Usage) -> None:
    view = build_view(fresh(over_limit, OVER_NOW), OVER_NOW, tz=UTC1, clock_24h=True)
    assert view.lines == (
        "Plan: Max",
        "5-hour 100% — resets in 2 h 14 m (18:00)",
        "7-day 103% — resets Fri 10:00",  # 103.5 shown as it is, never capped at 100
        "7-day Opus 100% — resets Fri 10:00",
        "Extra usage: €20.00 of €20.00 (100%)",
        "▼ on the ring: 5-hour ahead of pace — 100% used, 55% of its time gone",  # what the wedge means
        "▼ on the ring: 7-day ahead of pace — 103% used, 46% of its time gone",
    )
    assert view.title == OVER_TITLE + "1 min ago"
    assert view.status_line == "Updated 1 min ago"
    assert view.look is Look.OK


def test_weekly_weekday_is_the_local_one_across_midnight(over_limit: Usage) -> None:
    # 23:30 UTC on Thursday is already Friday in Berlin, and still Thursday evening in California.
    late = replace(over_limit.seven_day, resets_at=at("2026-12-03T23:30:00+00:00"))
    usage = replace(over_limit, seven_day=late)
    berlin = build_view(fresh(usage, OVER_NOW), OVER_NOW, tz=ZoneInfo("Europe/Berlin"), clock_24h=True)
    pacific = build_view(fresh(usage, OVER_NOW), OVER_NOW, tz=timezone(timedelta(hours=-8)), clock_24h=True)
    assert berlin.lines[2] == "7-day 103% — resets Fri 00:30"
    assert pacific.lines[2] == "7-day 103% — resets Thu 15:30"


def test_weekly_reset_within_a_day_also_counts_down(over_limit: Usage) -> None:
    now = at("2026-12-03T20:00:00+00:00")
    usage = replace(over_limit, five_hour=None)
    view = build_view(fresh(usage, now), now, tz=UTC1, clock_24h=True)
    assert view.lines[1] == "7-day 103% — resets in 13 h (Fri 10:00)"


def test_reset_times_with_a_sub_second_fraction_show_the_whole_minute(fixtures: Path) -> None:
    # basic.json resets at 19:59:59.600956Z: that is 21:00 in UTC+1, not 20:59.
    usage = usage_of(fixtures, "basic")
    now = at("2026-01-02T17:46:00+00:00")
    view = build_view(fresh(usage, now), now, tz=UTC1, clock_24h=True)
    assert view.lines[1] == "5-hour 24% — resets in 2 h 14 m (21:00)"


def test_enterprise_null_windows_show_no_zero_percent_and_extra_usage_in_dollars(fixtures: Path) -> None:
    usage = usage_of(fixtures, "null_windows_enterprise")
    now = at("2026-07-19T01:00:00+00:00")
    view = build_view(fresh(usage, now, plan="enterprise"), now, tz=UTC1, clock_24h=True)
    assert view.lines == ("Plan: Enterprise", "Extra usage: $123.45 of $500.00 (24%)")
    assert "0%" not in view.title
    assert view.ring.outer is None and view.ring.inner is None


def test_per_model_window_from_limits_array_drives_the_inner_ring_and_says_so(fixtures: Path) -> None:
    usage = usage_of(fixtures, "limits_array")
    now = at("2026-07-19T01:00:00+00:00")
    view = build_view(fresh(usage, now, plan="pro"), now, tz=UTC1, clock_24h=True)
    assert view.lines == (
        "Plan: Pro",
        "5-hour 15% — resets in 2 h 40 m (04:40)",
        "7-day 48% — resets Thu 16:00",
        "7-day Fable 81% — resets Thu 16:00",
        "Inner ring: 7-day Fable (81%)",
        "Extra usage: $408.43 used (no monthly limit)",
        "▼ on the ring: 7-day Fable ahead of pace — 81% used, 35% of its time gone",
    )
    assert view.ring.inner == 81.0
    assert view.title == (
        "Claude usage: 5-hour 15 %, resets 04:40; weekly 48 %; Fable 81 %; extra usage $408.43; updated 1 min ago"
    )


def test_no_inner_ring_note_when_seven_day_is_the_highest(fixtures: Path) -> None:
    usage = usage_of(fixtures, "basic")
    now = at("2026-01-02T18:00:00+00:00")
    view = build_view(fresh(usage, now), now, tz=UTC1, clock_24h=True)
    assert not any(line.startswith("Inner ring") for line in view.lines)
    assert view.ring.inner == 36.0


def test_window_that_has_not_started_says_so_and_has_no_pace(fixtures: Path) -> None:
    usage = usage_of(fixtures, "fresh_window")
    now = at("2026-12-01T10:00:00+00:00")
    view = build_view(fresh(usage, now), now, tz=UTC1, clock_24h=True)
    assert view.lines[1] == "5-hour 0% — not started"
    assert view.ring.outer == 0.0 and view.ring.outer_pace is None


def test_a_window_whose_reset_passed_reads_reset_in_ring_title_and_menu(over_limit: Usage) -> None:
    now = at("2026-11-30T17:03:00+00:00")  # read at 16:30, the window reset at 17:00
    view = build_view(fresh(over_limit, now, fetched_at=at("2026-11-30T16:30:00+00:00")), now, tz=UTC1,
                      clock_24h=True)
    assert view.lines[1] == "5-hour 0% — reset at 18:00 — starts with your next message"
    assert view.ring.outer == 0.0 and view.ring.outer_pace is None  # not the 100 % it read before the reset
    assert "5-hour 0 %" in view.title and "100" not in view.title.split(";")[0]


def test_a_reading_taken_after_its_own_reset_time_asks_for_a_refresh(over_limit: Usage) -> None:
    now = at("2026-11-30T17:03:00+00:00")
    view = build_view(fresh(over_limit, now), now, tz=UTC1, clock_24h=True)
    assert view.lines[1] == "5-hour 100% — reset due — refresh"


def test_ring_pace_is_the_elapsed_share_and_warns_when_usage_runs_ahead(over_limit: Usage, fixtures: Path) -> None:
    ring = build_view(fresh(over_limit, OVER_NOW), OVER_NOW, tz=UTC1, clock_24h=True).ring
    assert ring.outer == 100.0 and ring.inner == 103.5
    assert ring.outer_pace == pytest.approx(1 - 134 / 300)  # 2 h 14 m of 5 h left
    assert ring.outer_ahead and ring.inner_ahead
    basic_now = at("2026-01-02T18:00:00+00:00")  # 24 % used, 60 % of the window gone
    basic = build_view(fresh(usage_of(fixtures, "basic"), basic_now), basic_now, tz=UTC1, clock_24h=True).ring
    assert basic.outer_pace == pytest.approx(0.6, abs=0.001)
    assert not basic.outer_ahead


# --- looks: each of the six, by priority ---------------------------------------------------------------

def test_no_credentials_and_no_reading_is_signed_out() -> None:
    view = build_view(CachedState(), OVER_NOW, tz=UTC1, clock_24h=True, credentials_problem="signed_out")
    assert view.look is Look.SIGNED_OUT and view.ring.look is Look.SIGNED_OUT
    assert view.status_line == "Signed out — run `claude` to sign in"
    assert view.title == "Claude usage: signed out"


def test_signed_out_user_with_fresh_status_line_figures_still_looks_ok(over_limit: Usage) -> None:
    state = fresh(over_limit, OVER_NOW, source="statusline", fetched_at=OVER_NOW - timedelta(seconds=20))
    view = build_view(state, OVER_NOW, tz=UTC1, clock_24h=True, credentials_problem="no_credentials")
    assert view.look is Look.OK
    assert view.status_line == "Updated just now via Claude Code"


def test_expired_token_keeps_the_figures_and_says_how_to_refresh(over_limit: Usage) -> None:
    view = build_view(fresh(over_limit, OVER_NOW), OVER_NOW, tz=UTC1, clock_24h=True, credentials_problem="expired")
    assert view.look is Look.EXPIRED
    assert view.status_line == "Token expired — run `claude` once to refresh · updated 1 min ago"
    assert view.title == OVER_TITLE + "1 min ago; token expired"
    assert "5-hour 100% — resets in 2 h 14 m (18:00)" in view.lines


def test_missing_scope_has_its_own_sentence(over_limit: Usage) -> None:
    error = LastError(at=OVER_NOW, kind="scope", message="Missing scope.", status=403)
    view = build_view(fresh(over_limit, OVER_NOW, last_error=error), OVER_NOW, tz=UTC1, clock_24h=True)
    assert view.look is Look.EXPIRED
    assert view.status_line.startswith("Token lacks the user:profile scope")


def test_rate_limit_says_when_the_next_try_is(over_limit: Usage) -> None:
    now = at("2026-11-30T14:01:00+00:00")
    state = fresh(
        over_limit, now, fetched_at=at("2026-11-30T13:58:00+00:00"),
        last_error=LastError(at=now, kind="rate_limited", message="Rate limited.", status=429),
        gate=GateState(next_fetch_at=at("2026-11-30T14:05:00+00:00"), reason="rate_limited"),
    )
    view = build_view(state, now, tz=UTC1, clock_24h=True)
    assert view.look is Look.RATE_LIMITED
    assert view.status_line == "Rate limited — next try 15:05 (in 4 min) · updated 3 min ago"
    assert view.title == OVER_TITLE + "3 min ago; rate limited"


def test_server_error_names_the_http_status_and_a_stale_reading_its_age(over_limit: Usage) -> None:
    now = at("2026-11-30T14:00:00+00:00")
    state = fresh(
        over_limit, now, fetched_at=at("2026-11-30T12:00:00+00:00"),
        last_error=LastError(at=now, kind="server", message="Server error.", status=502),
        gate=GateState(next_fetch_at=at("2026-11-30T14:02:30+00:00"), reason="backoff"),
    )
    view = build_view(state, now, tz=UTC1, clock_24h=True)
    assert view.look is Look.OFFLINE
    assert view.status_line == "Server error (HTTP 502) — next try 15:03 (in 3 min) · updated 2 h ago"
    assert view.title == OVER_TITLE + "2 h ago; server error, 2 h old"


def test_network_failure_is_offline(over_limit: Usage) -> None:
    error = LastError(at=OVER_NOW, kind="network", message="No connection.")
    view = build_view(fresh(over_limit, OVER_NOW, last_error=error), OVER_NOW, tz=UTC1, clock_24h=True)
    assert view.look is Look.OFFLINE
    assert view.status_line == "Offline — retrying · updated 1 min ago"


def test_old_reading_is_stale_with_its_age_and_keeps_its_figures(over_limit: Usage) -> None:
    now = at("2026-11-30T14:46:00+00:00")
    view = build_view(fresh(over_limit, now, fetched_at=now - timedelta(hours=2)), now, tz=UTC1, clock_24h=True)
    assert view.look is Look.STALE
    assert view.status_line == "Stale: updated 2 h ago"
    assert view.title == OVER_TITLE + "2 h ago; stale 2 h"
    assert "7-day 103% — resets Fri 10:00" in view.lines


def test_error_older_than_the_reading_no_longer_counts(over_limit: Usage) -> None:
    error = LastError(at=OVER_NOW - timedelta(minutes=30), kind="rate_limited", message="Rate limited.")
    view = build_view(fresh(over_limit, OVER_NOW, last_error=error), OVER_NOW, tz=UTC1, clock_24h=True)
    assert view.look is Look.OK


def test_nothing_cached_yet_is_dimmed_not_alarming() -> None:
    view = build_view(CachedState(), OVER_NOW, tz=UTC1, clock_24h=True)
    assert view.look is Look.STALE
    assert view.status_line == "No reading yet"
    assert view.lines == ()


# --- title, label, debug text ----------------------------------------------------------------------------

def test_account_label_prefixes_the_plan_line_and_the_title(over_limit: Usage) -> None:
    view = build_view(fresh(over_limit, OVER_NOW), OVER_NOW, tz=UTC1, clock_24h=True, label="work")
    assert view.lines[0] == "work — Plan: Max"
    assert view.title == "work — " + OVER_TITLE + "1 min ago"


def test_title_never_exceeds_the_windows_limit(over_limit: Usage) -> None:
    state = fresh(over_limit, OVER_NOW, fetched_at=OVER_NOW - timedelta(days=3))
    view = build_view(state, OVER_NOW, tz=UTC1, clock_24h=True, label="x" * 500, credentials_problem="expired")
    assert len(view.title) <= TITLE_LIMIT


def test_debug_text_shows_the_whole_error_in_local_time_with_tokens_removed(over_limit: Usage) -> None:
    error = LastError(
        at=at("2026-11-30T14:01:00+00:00"), kind="rate_limited", status=429,
        message=f"Rate limited (sent {FAKE_TOKEN})",
        body_excerpt='{"error":{"type":"rate_limit_error"}}',
    )
    state = fresh(over_limit, OVER_NOW, fetched_at=at("2026-11-30T13:58:00+00:00"), last_error=error,
                  gate=GateState(next_fetch_at=at("2026-11-30T14:50:00+00:00"), reason="rate_limited"))
    view = build_view(state, OVER_NOW, tz=UTC1, clock_24h=True)
    text = debug_text(state, OVER_NOW, tz=UTC1,
                      credentials_warning="~/.claude/.credentials.json is readable by others: chmod 600 it")
    assert text.splitlines()[:4] == [
        "Last error: 2026-11-30 15:01:00 UTC+01:00 (45 min ago)",
        "Kind: rate_limited",
        "HTTP status: 429",
        "Message: Rate limited (sent [REDACTED])",
    ]
    assert 'Response body: {"error":{"type":"rate_limit_error"}}' in text
    assert "Next automatic fetch: 2026-11-30 15:50:00 UTC+01:00 (rate_limited)" in text
    assert "Reading: from api, 2026-11-30 14:58:00 UTC+01:00 (48 min ago)" in text
    assert "Warning: ~/.claude/.credentials.json is readable by others: chmod 600 it" in text
    everything = " ".join((view.title, view.status_line, text, *view.lines))
    assert FAKE_TOKEN not in everything and "FAKEFAKE" not in everything


def test_debug_text_says_when_there_is_no_error(over_limit: Usage) -> None:
    assert debug_text(fresh(over_limit, OVER_NOW), OVER_NOW, tz=UTC1).splitlines()[0] == "No error recorded."


# --- durations and the locale's clock ---------------------------------------------------------------------

def test_durations_read_as_minutes_hours_and_days() -> None:
    now = at("2026-11-30T12:00:00+00:00")
    assert format_countdown(now + timedelta(minutes=45), now) == "in 45 min"
    assert format_countdown(now + timedelta(hours=2, minutes=13), now) == "in 2 h 13 m"
    assert format_countdown(now + timedelta(days=3, hours=4), now) == "in 3 d 4 h"
    assert format_countdown(now + timedelta(seconds=10), now) == "in 1 min"
    assert format_age(now - timedelta(seconds=59), now) == "just now"
    assert format_age(now - timedelta(minutes=1, seconds=59), now) == "1 min ago"


def test_clock_follows_the_locale_when_not_given(monkeypatch: pytest.MonkeyPatch, over_limit: Usage) -> None:
    # No en_US locale is installed here; the locale's time format is what the decision reads.
    monkeypatch.setattr(timefmt._c_locale, "nl_langinfo", lambda item: "%I:%M:%S %p")
    assert locale_uses_24h() is False
    view = build_view(fresh(over_limit, OVER_NOW), OVER_NOW, tz=UTC1)
    assert view.lines[1].endswith("(6:00 PM)")
    monkeypatch.setattr(timefmt._c_locale, "nl_langinfo", lambda item: "%H:%M:%S")
    assert locale_uses_24h() is True
