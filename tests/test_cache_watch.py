"""The tray follows its cache without polling (issue 14): inotify wakes it when the file really changes."""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.test_app import NOW, make_app, usage_payload  # noqa: F401 - the fixture
from tests.test_desktop_session import status_line_writes_93
from tray.desktop import watch
from tray.desktop.runner import _schedule_loop
from tray.store import cache

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


def test_a_replaced_cache_file_wakes_the_watch_and_a_neighbour_does_not(tmp_path: Path) -> None:
    stopping = threading.Event()
    target = tmp_path / ".usage_cache"
    target.write_text("{}")
    found = watch.start(str(target), stopping)
    assert found is not None
    try:
        (tmp_path / "other.txt").write_text("x")
        assert not found.changed.wait(0.3)
        tmp = tmp_path / ".usage_cache.tmp"
        tmp.write_text('{"a": 1}')
        os.replace(tmp, target)  # how every writer of the cache writes it
        assert found.changed.wait(5)
    finally:
        stopping.set()


def test_the_running_loop_redraws_within_seconds_of_another_writer_with_no_tick_due(
        make_app, httpserver: HTTPServer) -> None:  # noqa: F811
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(30, 20))
    app, _icon, clock = make_app()
    app.fetch(manual=False)
    app.follow_cache()
    def watches() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "cache-watch")

    before = watches()
    loop = threading.Thread(target=_schedule_loop, args=(app, 3600.0, app.tick), daemon=True)
    loop.start()
    try:
        end = time.monotonic() + 5  # the loop's watch is on once its reader thread runs
        while watches() == before and time.monotonic() < end:
            time.sleep(0.01)
        clock["now"] = NOW + timedelta(seconds=5)

        cache.update_state(app.cache_file, status_line_writes_93(clock["now"]), now=clock["now"])
        end = time.monotonic() + 5
        while "93" not in (app.view.title if app.view else "") and time.monotonic() < end:
            time.sleep(0.02)
        assert "93" in app.view.title, app.view.title
    finally:
        app.stopping.set()


def test_a_snapshot_landing_in_a_watched_share_inbox_wakes_the_watch(tmp_path: Path) -> None:
    stopping = threading.Event()
    (tmp_path / "cache").mkdir()
    target = tmp_path / "cache" / ".usage_cache"
    target.write_text("{}")
    inbox = tmp_path / "share" / "claude-tray"
    inbox.mkdir(parents=True)
    found = watch.start(str(target), stopping)
    assert found is not None
    try:
        assert found.watch(str(inbox))
        (inbox / "other-machine.json.tmp").write_text("{}")
        os.replace(inbox / "other-machine.json.tmp", inbox / "other-machine.json")  # as Syncthing lands a file
        assert found.changed.wait(5)
    finally:
        stopping.set()
