"""The tray's behaviour without a display: a stand-in icon with pystray's interface, an injected clock."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import install_credentials
from tray.desktop.app import TrayApp
from tray.desktop.autostart import backend_for

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


class StandInIcon:
    HAS_NOTIFICATION = True

    def __init__(self) -> None:
        self.images: list[object] = []
        self.titles: list[str] = []
        self.menu_updates = 0
        self.notes: list[tuple[str, str | None]] = []
        self.stopped = False

    @property
    def icon(self) -> object:
        return self.images[-1]

    @icon.setter
    def icon(self, value: object) -> None:
        self.images.append(value)

    @property
    def title(self) -> str:
        return self.titles[-1]

    @title.setter
    def title(self, value: str) -> None:
        self.titles.append(value)

    def update_menu(self) -> None:
        self.menu_updates += 1

    def notify(self, message: str, title: str | None = None) -> None:
        self.notes.append((message, title))

    def stop(self) -> None:
        self.stopped = True


def usage_payload(five: float, seven: float, now: datetime = NOW) -> dict:
    return {
        "five_hour": {"utilization": five, "resets_at": (now + timedelta(hours=2)).isoformat()},
        "seven_day": {"utilization": seven, "resets_at": (now + timedelta(days=3)).isoformat()},
    }


@pytest.fixture
def make_app(home: Path, fixtures: Path, httpserver: HTTPServer):
    install_credentials(home, fixtures / "credentials" / "pro_valid.json")
    clock = {"now": NOW}
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""),
           "CLAUDE_TRAY_API_URL": httpserver.url_for("/api/oauth/usage")}

    def make() -> tuple[TrayApp, StandInIcon, dict]:
        app = TrayApp(env=env, cache_file=home / ".claude" / "oh-my-claude" / ".usage_cache", base_interval=60,
                      clock=lambda: clock["now"])
        icon = StandInIcon()
        app.icon = icon
        return app, icon, clock

    return make


def test_the_tick_never_waits_on_the_network(make_app, httpserver: HTTPServer):
    app, _icon, _ = make_app()
    app.tick()
    assert httpserver.log == []  # the fetch was handed to the worker, not made here
    assert app._jobs.qsize() == 1
    app.tick()
    assert app._jobs.qsize() == 1  # one pending fetch at most


def test_a_fetch_on_the_worker_updates_the_icon_title_and_menu(make_app, httpserver: HTTPServer):
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(47, 21))
    app, icon, _ = make_app()
    app.tick()
    app.fetch(manual=False)
    assert len(httpserver.log) == 1
    assert icon.titles[-1].startswith("Claude usage: 5-hour 47 %") and "; weekly 21 %;" in icon.titles[-1]
    assert any(line.startswith("5-hour 47% — resets in 2 h") for line in app.view.lines)
    assert icon.menu_updates >= 1


def test_a_server_that_stalls_five_seconds_does_not_hold_up_the_redraw(make_app, httpserver: HTTPServer):
    from werkzeug.wrappers import Response

    from tray.base.values import replace
    from tray.model.usage import parse_usage
    from tray.store import cache

    asked, answer = threading.Event(), threading.Event()

    def stall(_request: object) -> Response:
        asked.set()
        answer.wait(5)  # the server answers after 5 s (at once, once the test has seen the redraw)
        return Response(json.dumps(usage_payload(47, 21)), content_type="application/json")

    httpserver.expect_request("/api/oauth/usage").respond_with_handler(stall)
    app, icon, _ = make_app()
    # Meanwhile Claude Code's status line recorded 82 %: the redraw has a notification to mark in the cache.
    cache.update_state(app.cache_file, lambda s: replace(s, usage=parse_usage(usage_payload(82, 21)), fetched_at=NOW,
                                                         source="statusline"), now=NOW)
    worker = threading.Thread(target=app.fetch, kwargs={"manual": True})
    worker.start()
    try:
        assert asked.wait(10)  # the request is in flight
        tick = threading.Thread(target=app.tick)
        tick.start()
        tick.join(timeout=4)
        assert not tick.is_alive() and not answer.is_set()  # redrawn and written while the server still stalls
        assert [title for _, title in icon.notes if title and "80%" in title]
        assert "80" in json.dumps(cache.read_cache(app.cache_file)["tray"]["notified"])
    finally:
        answer.set()
        worker.join(10)


def test_the_tray_reloads_a_cache_that_changed_after_it_had_settled(make_app, httpserver: HTTPServer):
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(47, 21))
    from tray.base.values import replace
    from tray.model.usage import parse_usage
    from tray.store import cache
    from tray.store.reader import CacheReader

    app, icon, clock = make_app()
    app.reader = CacheReader(clock_ns=lambda: time.time_ns() + 60 * 10**9)  # a minute on: every write settled
    app.fetch(manual=False)
    assert app.redraw().title.startswith("Claude usage: 5-hour 47 %")  # this parse is kept
    # Another writer (Claude Code's status line) records 63 %.
    cache.update_state(app.cache_file, lambda s: replace(s, usage=parse_usage(usage_payload(63, 21)),
                                                         source="statusline"), now=NOW)
    clock["now"] += timedelta(seconds=30)
    assert app.redraw().title.startswith("Claude usage: 5-hour 63 %")
    assert icon.titles[-1].startswith("Claude usage: 5-hour 63 %")


def test_a_second_refresh_now_within_ten_seconds_says_nothing_was_fetched(make_app, httpserver: HTTPServer):
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(47, 21))
    app, icon, clock = make_app()
    app.fetch(manual=True)
    assert len(httpserver.log) == 1 and icon.notes[-1][0].startswith("Updated just now")
    clock["now"] = NOW + timedelta(seconds=3)
    app.fetch(manual=True)
    assert len(httpserver.log) == 1  # nothing sent
    assert icon.notes[-1] == ("Refreshed 3 s ago — try again in a few seconds", "Claude usage")


def test_the_image_is_handed_over_only_when_the_picture_changed(make_app, httpserver: HTTPServer):
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(47, 21))
    app, icon, clock = make_app()
    app.fetch(manual=False)
    count = len(icon.images)
    for _ in range(5):  # same reading, a few seconds later: nothing to redraw
        clock["now"] += timedelta(seconds=2)
        app.redraw()
    assert len(icon.images) == count
    clock["now"] += timedelta(minutes=30)  # the pace tick moved
    app.redraw()
    assert len(icon.images) == count + 1


def test_crossing_80_percent_notifies_once_and_remembers_it_in_the_cache(make_app, httpserver: HTTPServer, home):
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(82, 21))
    app, icon, clock = make_app()
    app.fetch(manual=False)
    assert [title for _, title in icon.notes if title and "80%" in title]
    sent = len(icon.notes)
    clock["now"] += timedelta(minutes=1)
    app.redraw()
    assert len(icon.notes) == sent
    cached = json.loads((home / ".claude" / "oh-my-claude" / ".usage_cache").read_text())
    assert any(80 in v for v in cached["tray"]["notified"].values())
    # a second tray (another process) reading the same cache does not announce it again
    other, other_icon, _ = make_app()
    other.redraw()
    assert other_icon.notes == []


def test_a_manual_refresh_says_what_happened(make_app, httpserver: HTTPServer):
    httpserver.expect_request("/api/oauth/usage").respond_with_data("<html>502</html>", status=502)
    app, icon, _ = make_app()
    app.fetch(manual=True)
    assert icon.notes and "502" in icon.notes[-1][0]
    assert app.view.look.value == "offline"


def test_quit_stops_the_icon_ends_the_process_and_ignores_further_ticks(make_app):
    app, icon, _ = make_app()
    exited = threading.Event()
    app.exit_process = lambda code: exited.set()
    app.quit()
    assert exited.wait(timeout=5)  # the hard exit fires even if the backend's run() never returns
    assert icon.stopped
    count = len(icon.images)
    app.tick()
    assert len(icon.images) == count


def test_a_threshold_crossed_before_the_icon_exists_is_announced_once_it_does(make_app, httpserver: HTTPServer):
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(92, 21))
    app, icon, _ = make_app()
    app.icon = None  # start-up: the first redraw comes before pystray's icon is made
    app.fetch(manual=False)
    app.icon = icon
    app.redraw()
    assert [title for _, title in icon.notes if title and "90%" in title]


def test_launch_at_login_toggles_what_the_system_says_not_a_stale_check_mark(make_app, home, tmp_path, monkeypatch):
    # Launch at login refuses a program inside the temp folder; CI may check the project out under /tmp.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "not-the-checkout"))
    app, icon, _ = make_app()
    app.env = {**app.env, "XDG_CONFIG_HOME": str(home / ".config")}
    backend = backend_for(app.env)
    backend.enable()
    app.autostart_enabled = False  # start-up has not read the status yet
    app.on_autostart()
    assert not backend.status().enabled and app.autostart_enabled is False
    assert icon.notes[-1][1] == "Launch at login"


class HungHost(StandInIcon):
    """A tray host that stops answering: setting the title never returns until `answer` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.asked, self.answer = threading.Event(), threading.Event()

    @property
    def title(self) -> str:
        return self.titles[-1]

    @title.setter
    def title(self, value: str) -> None:
        self.asked.set()
        self.answer.wait()
        self.titles.append(value)


def test_a_tick_stuck_on_a_host_that_never_answers_starts_the_tray_again(make_app, httpserver: HTTPServer) -> None:
    from tray.desktop.runner import STUCK_AFTER_S, _watch_ticks, tick_stuck

    app, _, _ = make_app()
    host = app.icon = HungHost()
    ticking = threading.Thread(target=app.tick, daemon=True)
    ticking.start()
    assert host.asked.wait(30)  # the tick is inside the host's call now
    started = app.tick_started
    assert started is not None
    assert not tick_stuck(app, started + 10)  # slow is not stuck
    assert tick_stuck(app, started + STUCK_AFTER_S + 1)
    restarts: list[bool] = []
    _watch_ticks(app, restart=lambda: restarts.append(True), monotonic=lambda: started + STUCK_AFTER_S + 1,
                 every=0.0)
    assert restarts == [True]
    host.answer.set()
    ticking.join(30)
    assert app.tick_started is None and not tick_stuck(app, started + 10 * STUCK_AFTER_S)  # done: not stuck
