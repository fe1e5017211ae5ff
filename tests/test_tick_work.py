"""What a changed cache costs the running tray, counted (never timed): one decode and parse, one picture.

The tray follows its cache through an inotify watch (tray/desktop/watch.py): the scheduler thread wakes on a
write and redraws (`follow_cache`), and the minute tick redraws again. Here the watch is a stand-in with the
real one's `changed` event, set where the watch thread would set it; the icon is tests/test_app.py's stand-in.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.test_app import StandInIcon
from tray.base.values import replace
from tray.desktop.app import TrayApp
from tray.model import state
from tray.model.state import CachedState, GateState
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow
from tray.store import cache
from tray.store.history import append_reading

NOW = datetime.now(timezone.utc).replace(microsecond=0)  # the reader's racy-file rule reads the wall clock


class StandInWatch:
    """tray.desktop.watch.FileWatch as the tray sees it: `changed` is set when the watched file changed."""

    def __init__(self) -> None:
        self.changed = threading.Event()


def usage(five: float) -> Usage:
    return Usage(
        five_hour=UsageWindow("five_hour", "5-hour", five, NOW + timedelta(hours=2), FIVE_HOURS),
        seven_day=UsageWindow("seven_day", "7-day", 21.0, NOW + timedelta(days=3), SEVEN_DAYS),
    )


def write_figures(cache_file: Path, five: float) -> None:
    """New figures, as Claude Code's status line writes them (the locked, atomic write)."""

    def change(current: CachedState) -> CachedState:
        readings = current.history
        for minute in range(30, 0, -1) if not readings else ():
            readings = append_reading(readings, usage(five), NOW - timedelta(minutes=minute))
        return replace(current, usage=usage(five), fetched_at=NOW, source="api", plan="pro", history=readings,
                       gate=GateState(unchanged_count=8, interval_s=300.0))

    cache.update_state(cache_file, change, now=NOW)


@pytest.fixture
def tray(home: Path, monkeypatch: pytest.MonkeyPatch):
    cache_file = home / ".claude" / "oh-my-claude" / ".usage_cache"
    cache_file.parent.mkdir(parents=True)
    write_figures(cache_file, 40.0)
    app = TrayApp(env={"HOME": str(home)}, cache_file=str(cache_file), base_interval=60, clock=lambda: NOW)
    app.watch = StandInWatch()
    app.icon = icon = StandInIcon()
    app.redraw()
    app._pending.set()  # the tick asks the worker for nothing here: no fetch runs in these tests
    parses: list[str] = []  # "decode": the file's JSON decoded; "parse": the whole state made of it
    redraws: list[int] = []
    real_decode, real_parse, real_redraw = cache.read_cache, state.state_from_cache, app.redraw

    def counted_decode(*args, **kwargs):
        parses.append("decode")
        return real_decode(*args, **kwargs)

    def counted_parse(*args, **kwargs):
        if kwargs.get("history", True):
            parses.append("parse")
        return real_parse(*args, **kwargs)

    def counted_redraw():
        redraws.append(1)
        return real_redraw()

    monkeypatch.setattr(cache, "read_cache", counted_decode)
    monkeypatch.setattr(state, "state_from_cache", counted_parse)
    monkeypatch.setattr(app, "redraw", counted_redraw)
    return app, icon, cache_file, parses, redraws


def woken_by_the_watch(app: TrayApp) -> None:
    """What the scheduler loop does when the watch thread set `changed` (tray/desktop/runner.py)."""
    assert app.watch.changed.is_set()
    app.watch.changed.clear()
    app.follow_cache()


def test_new_figures_are_parsed_once_and_give_one_picture_one_title_and_one_menu(tray):
    app, icon, cache_file, parses, redraws = tray
    images, titles, menus = len(icon.images), len(icon.titles), icon.menu_updates
    write_figures(cache_file, 55.0)
    parses.clear()  # the write's own reading of the file is not the tray's
    app.watch.changed.set()
    woken_by_the_watch(app)
    app.tick()  # the minute tick right after: nothing new to read, nothing new to hand the icon
    assert "5-hour 55 %" in icon.title
    assert parses == ["decode", "parse"]
    assert len(redraws) == 2  # the watch's and the tick's
    assert (len(icon.images) - images, len(icon.titles) - titles, icon.menu_updates - menus) == (1, 1, 1)


def test_a_tick_with_nothing_new_neither_reads_the_cache_nor_touches_the_icon(tray):
    app, icon, _cache_file, parses, _redraws = tray
    images, titles, menus = len(icon.images), len(icon.titles), icon.menu_updates
    app.tick()
    app.tick()
    assert parses == []
    assert (len(icon.images), len(icon.titles), icon.menu_updates) == (images, titles, menus)


def test_a_change_the_watch_saw_but_has_not_followed_yet_is_read_by_the_tick(tray):
    app, icon, cache_file, parses, _redraws = tray
    write_figures(cache_file, 61.0)
    parses.clear()  # the write's own reading of the file is not the tray's
    app.watch.changed.set()  # the scheduler thread has not woken for it yet
    app.tick()
    assert "5-hour 61 %" in icon.title
    assert parses == ["decode", "parse"]


def test_a_rewrite_too_quick_for_the_files_clock_is_still_followed(tray):
    """Two writes within one tick of the filesystem's clock can leave the same size, time and inode: the
    watch's word is taken over the file's signature while the last read was that recent."""
    app, icon, cache_file, _parses, _redraws = tray
    mark = app.cache_mark()
    write_figures(cache_file, 72.0)
    app.watch.changed.set()
    app.cache_mark = lambda: mark  # the file looks the same as at the last read
    woken_by_the_watch(app)
    assert "5-hour 72 %" in icon.title


def test_the_share_check_after_a_change_reads_nothing_more(tray):
    app, _icon, cache_file, parses, _redraws = tray
    write_figures(cache_file, 33.0)
    parses.clear()  # the write's own reading of the file is not the tray's
    app.watch.changed.set()
    woken_by_the_watch(app)  # follow_cache, then follow_share, which needs the settings
    assert parses == ["decode", "parse"]
