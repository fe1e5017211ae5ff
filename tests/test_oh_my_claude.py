"""oh-my-claude beside a running tray (SPEC §3 "harmless"), against a faithful stand-in of its writer.

Each test is one failure measured with its real scripts beside the tray (issue 12): a rewrite that dropped our
section re-sent notifications, fetched inside a Retry-After, re-sent a refused token, lost the last reading,
plan, per-model windows, extra usage and history; half-written files read as "no data"; and our minute
writes starved its updater.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import FIXTURES
from tests.omc_standin import OhMyClaude
from tests.test_app import StandInIcon
from tray.desktop.app import TrayApp
from tray.model.state import state_from_cache
from tray.store import cache

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)  # before the wall clock: a simulated morning
TOKEN = "sk-ant-oat01-OMCSTANDINAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-testonly"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def body(five: float, seven: float, now: datetime) -> dict:
    """A usage answer with everything the tray keeps: per-model windows and extra usage too."""
    return {
        "five_hour": {"utilization": five, "resets_at": (now + timedelta(hours=3)).isoformat()},
        "seven_day": {"utilization": seven, "resets_at": (now + timedelta(days=3)).isoformat()},
        "seven_day_opus": {"utilization": 12.0, "resets_at": (now + timedelta(days=3)).isoformat()},
        "extra_usage": {"is_enabled": True, "monthly_limit": 2000, "used_credits": 525, "utilization": 26.25,
                        "currency": "EUR"},
    }


class Endpoint:
    """The usage endpoint on loopback: `answers` is a list of (status, headers, body) used in turn (the last
    one repeats); every request is logged with its simulated time and token."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.answers: list[tuple[int, dict, dict]] = []
        self.log: list[tuple[datetime, str, int]] = []

    def __call__(self, request: Request) -> Response:
        status, headers, payload = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.log.append((self.clock.now, token, status))
        return Response(json.dumps(payload), status=status, headers=headers, content_type="application/json")


@pytest.fixture
def world(home: Path, httpserver: HTTPServer):
    creds = home / ".claude" / ".credentials.json"
    creds.write_text(json.dumps({"claudeAiOauth": {
        "accessToken": TOKEN, "expiresAt": 4102444800000, "scopes": ["user:inference", "user:profile"],
        "subscriptionType": "max"}}))
    creds.chmod(0o600)
    clock = Clock(T0)
    endpoint = Endpoint(clock)
    endpoint.answers = [(200, {}, body(85.0, 30.0, T0))]
    httpserver.expect_request("/api/oauth/usage").respond_with_handler(endpoint)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "CLAUDE_TRAY_API_URL": httpserver.url_for("/api/oauth/usage")}
    path = home / ".claude" / "oh-my-claude" / ".usage_cache"
    app = TrayApp(env=env, cache_file=path, base_interval=60, clock=clock)
    icon = StandInIcon()
    app.icon = icon
    fails = {"now": False}
    omc = OhMyClaude(path, clock, lambda: None if fails["now"] else body(85.0, 30.0, clock.now))
    yield app, icon, clock, endpoint, omc, path, fails


def tick(app: TrayApp) -> None:
    """One minute of the tray: redraw from the cache (and put back what a rewrite dropped), then the fetch."""
    app.redraw()
    app.fetch(manual=False)
    simulated_mtime(Path(app.cache_file), app.clock())


def simulated_mtime(path: Path, now: datetime) -> None:
    """The filesystem's clock is the simulated one: a modification time our writes stamped with the wall clock
    (later than any simulated moment) becomes the simulated now; one a write of ours kept stays as it was."""
    import os

    if path.exists() and path.stat().st_mtime > now.timestamp() + 1:
        os.utime(path, (now.timestamp(), now.timestamp()))


def section(path: Path) -> dict:
    return json.loads(path.read_text()).get("tray") or {}


def test_a_rewrite_that_dropped_our_section_is_put_back_at_the_next_tick_with_everything(world) -> None:
    app, _icon, clock, endpoint, omc, path, _fails = world
    tick(app)
    before = section(path)
    assert before["plan"] == "max" and before["usage"]["models"] and before["usage"]["extra"]
    clock.advance(61)
    omc.update()
    assert "tray" not in json.loads(path.read_text())  # its `cat > file` kept code, pro and updated_at only
    clock.advance(5)
    tick(app)
    after = json.loads(path.read_text())
    assert after["code"]["session_tokens"] == omc.session_tokens  # its key untouched
    kept = after["tray"]
    assert kept["plan"] == "max"
    assert [m["label"] for m in kept["usage"]["models"]] == ["7-day Opus"]
    assert kept["usage"]["extra"]["currency"] == "EUR"
    assert kept["notified"] == before["notified"] and kept["notified"]
    assert len(kept["history"]) == 2  # our reading, and oh-my-claude's own as the next one
    assert kept["source"] == "oh-my-claude"
    assert len(endpoint.log) == 1  # its fresh `pro` was the machine's request of this interval


def test_at_85_percent_three_rewrites_send_the_80_percent_notification_once(world) -> None:
    app, icon, clock, _endpoint, omc, _path, _fails = world
    for _ in range(4):
        tick(app)
        clock.advance(61)
        omc.update()
        clock.advance(5)
    tick(app)
    assert [title for _, title in icon.notes].count(icon.notes[0][1]) == 1
    assert len(icon.notes) == 1


def test_a_known_retry_after_holds_through_a_rewrite(world) -> None:
    app, _icon, clock, endpoint, omc, path, fails = world
    endpoint.answers = [(429, {"Retry-After": "1200"}, {"error": {"type": "rate_limit_error"}})]
    tick(app)
    fails["now"] = True  # its own fetch is rate limited too: `pro: null`
    for _ in range(19):
        clock.advance(30)
        omc.update()
        clock.advance(32)
        tick(app)
    assert [status for _, _, status in endpoint.log] == [429]  # nothing sent inside the 20 minutes
    assert section(path)["gate"]["reason"] == "rate_limited"


def test_a_refused_token_is_not_sent_again_after_a_rewrite(world) -> None:
    app, _icon, clock, endpoint, omc, _path, fails = world
    endpoint.answers = [(401, {}, {"error": {"type": "authentication_error"}})]
    tick(app)
    fails["now"] = True
    for _ in range(10):
        clock.advance(65)
        omc.update()
        clock.advance(65)
        tick(app)
    assert len(endpoint.log) == 1
    assert app.view is not None and "refused" in app.view.status_line


def test_after_pro_null_the_last_good_reading_stays_on_screen_stale_with_its_age(world) -> None:
    app, _icon, clock, endpoint, omc, path, fails = world
    tick(app)
    endpoint.answers = [(503, {}, {"error": {"type": "overloaded_error"}})]
    fails["now"] = True
    clock.advance(15 * 60)
    omc.update()  # `pro: null`, every other key gone
    clock.advance(5)
    tick(app)
    view = app.view
    assert view is not None and view.lines[1].startswith("5-hour 85%")
    assert "15 min" in view.status_line or "16 min" in view.status_line
    from tray.show.report import status_text

    state = state_from_cache(json.loads(path.read_text()))
    assert "No usage recorded" not in status_text(state, clock.now)


def test_beside_a_running_tray_oh_my_claude_keeps_updating_every_minute(world) -> None:
    app, _icon, clock, endpoint, omc, _path, _fails = world
    tick(app)
    for _ in range(5 * 60 // 15):  # five minutes: its status line every 15 s, our tick every minute
        clock.advance(15)
        omc.status_line()
        if clock.now.second == 30:  # half a minute after its updates: a write then must not look like one
            tick(app)
    gaps = [(b - a).total_seconds() for a, b in zip(omc.updates, omc.updates[1:])]
    assert len(omc.updates) >= 4 and max(gaps) <= 75  # its own cadence: a minute, and its next prompt
    assert len(endpoint.log) == 1  # and the machine asked once a minute: it did, not we


def test_a_half_written_file_is_read_again_not_taken_for_no_data(tmp_path: Path) -> None:
    path = tmp_path / ".usage_cache"
    path.write_text((FIXTURES / "peer-samples" / "omc" / "omc_written_ok.json").read_text())
    halfway = threading.Event()
    go_on = threading.Event()

    def gap() -> None:  # the moment between `cat`'s truncate and its write
        halfway.set()
        go_on.wait(5)

    omc = OhMyClaude(path, lambda: T0, lambda: body(61.7, 9.2, T0), write_gap=gap)
    writer = threading.Thread(target=omc.update)
    writer.start()
    assert halfway.wait(5)
    threading.Timer(0.005, go_on.set).start()  # its write lands 5 ms later, within the reader's retries
    raw = cache.read_cache(path)
    writer.join(5)
    assert raw.get("pro", {}).get("five_hour_pct") == 61


def test_a_file_that_stays_broken_reads_as_no_data_within_fifty_ms(tmp_path: Path) -> None:
    import time

    path = tmp_path / ".usage_cache"
    path.write_text('{"code": {"session_tokens": 1}, "pro": {"five_h')
    started = time.monotonic()
    assert cache.read_cache(path) == {}
    assert time.monotonic() - started < 0.05 + 0.02  # three tries, 30 ms of waits (and the reads)


@pytest.mark.parametrize("name", [p.name for p in sorted((FIXTURES / "peer-samples" / "omc").glob("*.json"))])
def test_the_stand_in_writes_what_oh_my_claude_writes(name: str, tmp_path: Path) -> None:
    real = json.loads((FIXTURES / "peer-samples" / "omc" / name).read_text())
    answers = {  # the loopback bodies the real updater was given (peer-samples README)
        "omc_written_ok.json": {"five_hour": {"utilization": 61.7, "resets_at": "2100-01-01T05:00:00.422966+00:00"},
                                "seven_day": {"utilization": 9.2, "resets_at": "2100-01-04T09:00:00.422983+00:00"}},
        "omc_written_fresh_window.json": {"five_hour": {"utilization": 0.0, "resets_at": None},
                                          "seven_day": {"utilization": 3.0,
                                                        "resets_at": "2100-01-04T09:00:00.422983+00:00"}},
        "omc_written_over_limit.json": {"five_hour": {"utilization": 100.0,
                                                      "resets_at": "2100-01-01T05:00:00.422966+00:00"},
                                        "seven_day": {"utilization": 103.5,
                                                      "resets_at": "2100-01-04T09:00:00.422983+00:00"}},
        "omc_written_enterprise_nulls.json": {"five_hour": None, "seven_day": None},
        "omc_written_after_429.json": None,
    }
    when = datetime.strptime(real["updated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    omc = OhMyClaude(tmp_path / ".usage_cache", lambda: when, lambda: answers[name])
    omc.session_tokens = real["code"]["session_tokens"] - 41_337
    omc.update()
    assert json.loads((tmp_path / ".usage_cache").read_text()) == real


def test_beside_oh_my_claude_the_history_keeps_growing_and_pace_starts(world) -> None:
    app, _icon, clock, _endpoint, omc, path, _fails = world
    tick(app)
    for _ in range(12):  # twelve minutes of its rewrites, each dropping our section
        clock.advance(60)
        omc.status_line()
        clock.advance(1)
        tick(app)
    history = section(path)["history"]
    assert len(history) >= 12  # it never passed 4 before
    assert section(path)["pace"] is not None


def test_refresh_now_inside_a_retry_after_sends_nothing_and_says_until_when(world) -> None:
    app, icon, clock, endpoint, _omc, _path, _fails = world
    endpoint.answers = [(429, {"Retry-After": "600"}, {"error": {"type": "rate_limit_error"}})]
    tick(app)
    clock.advance(60)
    app.fetch(manual=True)
    message, _ = icon.notes[-1]
    assert message.startswith("Anthropic asked to wait until ")
    for _ in range(8):  # the measured tray sent automatic requests at +1 min 28 s and +2 min 28 s
        clock.advance(60)
        tick(app)
    assert len(endpoint.log) == 1


def test_a_section_comes_back_only_through_the_tray_that_remembers_it(tmp_path: Path) -> None:
    """The memory of our section is the tray's own (its reader's), not the process's: a second tray object, or a
    short-lived command run in the same process, writes after a rewrite without bringing back what it never saw."""
    from tray.base.values import replace
    from tray.store.reader import CacheReader

    path = tmp_path / ".usage_cache"
    tray, other = CacheReader(), CacheReader()
    tray.write(path, lambda state: replace(state, plan="max"), now=T0)
    rewrite = json.dumps({"code": {"tokens": 1}, "pro": None, "updated_at": "2026-06-01T09:00:30Z"})

    path.write_text(rewrite)  # oh-my-claude's `cat > file`: our section is gone
    other.write(path, lambda state: state, now=T0)
    assert cache.read_state(path).plan is None
    path.write_text(rewrite)
    cache.update_state(path, lambda state: state, now=T0)
    assert cache.read_state(path).plan is None
    path.write_text(rewrite)
    tray.write(path, lambda state: state, now=T0)
    assert cache.read_state(path).plan == "max"
    assert json.loads(path.read_text())["code"] == {"tokens": 1}
