"""The running tray follows its settings (SPEC §9) without a restart: a stand-in icon, an injected clock.

The same path a desktop takes: `claude-tray config set` or a Settings menu item writes the cache, and the
next redraw (a tick, or the cache watcher within 5 s) shows it; `status` prints what the title says.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.test_app import StandInIcon
from tray.cli import main
from tray.desktop.app import TrayApp
from tray.model.state import CachedState, shared_keys
from tray.model.usage import parse_usage
from tray.show.quiet import QuietHours

# `status` reads the wall clock: the tray's injected clock stands at the start of each test, so both agree
# (set per test, not at import: a long suite collects this module minutes before it runs it).
NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)


@pytest.fixture(autouse=True)
def _now_is_the_start_of_the_test() -> None:
    global NOW
    NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)


class FakeItem:
    """pystray.MenuItem's constructor, as the tray calls it (pystray picks a display backend on import)."""

    def __init__(self, text, action, checked=None, radio=False, default=False, enabled=True):
        self.text, self.action, self.radio, self.enabled = text, action, radio, enabled
        self.checked = checked(self) if callable(checked) else checked
        self.submenu = action if isinstance(action, FakeMenu) else None


class FakeMenu:
    SEPARATOR = None

    def __init__(self, *items):
        self._items = items

    @property
    def items(self):
        if len(self._items) == 1 and callable(self._items[0]) and not isinstance(self._items[0], FakeItem):
            return [i for i in self._items[0]() if i is not None]
        return [i for i in self._items if i is not None]


PYSTRAY = SimpleNamespace(MenuItem=FakeItem, Menu=FakeMenu)


def span(start_h: int, end_h: int) -> str:
    """Quiet hours from `start_h` to `end_h` hours after NOW, in local time (the span is a local clock's)."""
    return "-".join(f"{(NOW + timedelta(hours=h)).astimezone():%H:%M}" for h in (start_h, end_h))


def write_reading(path: Path, *, fable: float = 91) -> None:
    body = json.loads((Path(__file__).parent / "fixtures" / "peer-samples" / "responses"
                       / "cs19_live_fable_only.json").read_text())["body"]
    for entry in [*body["limits"], body["five_hour"], body["seven_day"]]:
        session = entry.get("kind") == "session" or entry is body["five_hour"]
        entry["resets_at"] = (NOW + (timedelta(hours=2) if session else timedelta(days=3))).isoformat()
        if entry.get("kind") == "weekly_scoped":
            entry["percent"] = fable
    path.parent.mkdir(parents=True, exist_ok=True)
    state = CachedState(usage=parse_usage(body), fetched_at=NOW, source="api", plan="max")
    path.write_text(json.dumps(shared_keys(state, NOW)))


@pytest.fixture
def tray(home: Path):
    cache_file = home / ".claude" / "oh-my-claude" / ".usage_cache"
    write_reading(cache_file)
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "")}
    app = TrayApp(env=env, cache_file=str(cache_file), base_interval=60, clock=lambda: NOW)
    app.icon = StandInIcon()
    app.redraw()
    return SimpleNamespace(app=app, icon=app.icon, env=env, cache=cache_file)


def config(tray, *args: str) -> None:
    assert main(["config", *args], tray.env) == 0


def status_json(tray, capsys) -> dict:
    capsys.readouterr()
    main(["status", "--json"], tray.env)
    return json.loads(capsys.readouterr().out)


def menu_entry(app: TrayApp, *path: str) -> FakeItem:
    items = app.menu_items(PYSTRAY).items
    for name in path:
        found = [i for i in items if i.text.startswith(name)]
        assert found, f"no {name!r} among {[i.text for i in items]}"
        entry = found[0]
        items = entry.submenu.items if entry.submenu is not None else []
    return entry


def test_every_setting_set_with_config_applies_at_the_next_redraw(tray, capsys):
    assert not tray.app.view.ring.single and "Fable 91 %" in tray.icon.title
    config(tray, "set", "icon", "auto")
    view = tray.app.redraw()
    assert view.ring.single and view.ring.outer == 91
    assert "Icon: 7-day Fable, the limit closest to being reached" in view.lines
    config(tray, "set", "show", "remaining")
    view = tray.app.redraw()
    assert view.ring.remaining and "Fable 9 % left" in tray.icon.title
    assert status_json(tray, capsys)["title"] == tray.icon.title  # `status` and the title agree
    pictures = len(tray.icon.images)
    config(tray, "set", "theme", "light")
    tray.app.redraw()
    assert len(tray.icon.images) == pictures + 1  # the same figures, drawn again for a light panel
    config(tray, "set", "interval", "300")
    config(tray, "set", "quiet_hours", span(-1, 1))
    tray.app.redraw()
    assert tray.app.image_for(tray.app._ring).getpixel((32, 2))[:3] != (245, 245, 245)  # light: dark strokes
    assert tray.app.interval() == 300
    assert tray.app._quiet(NOW)
    config(tray, "set", "notify", "off")
    config(tray, "set", "label", "percent")
    tray.app.redraw()
    assert tray.app.view.label == "9% left"
    assert tray.app._ring.digits  # a stand-in host has no label beside the icon: the number is drawn in it


def test_flags_of_the_run_win_over_the_stored_settings(tray):
    config(tray, "set", "interval", "300")
    config(tray, "set", "quiet_hours", span(-1, 1))
    tray.app.interval_fixed, tray.app.base_interval = True, 45
    tray.app.quiet_hours = QuietHours.parse(span(3, 4))
    tray.app.redraw()
    assert tray.app.interval() == 45
    assert not tray.app._quiet(NOW)


def test_each_menu_item_sets_its_setting_and_the_icon_follows(tray, capsys):
    from tray.desktop import settings_menu

    # Each radio item of each group, chosen in turn: the cache holds it, the item is ticked, the view follows.
    for group, text, key, value in [
        ("Icon shows", "The limit closest", "icon", "auto"), ("Icon shows", "Fable week only", "icon", "Fable"),
        ("Icon shows", "5-hour only", "icon", "five_hour"), ("Icon shows", "Weekly only", "icon", "weekly"),
        ("Icon shows", "5-hour and weekly", "icon", "both"), ("Count", "Remaining", "show", "remaining"),
        ("Count", "Used", "show", "used"), ("Number in the icon", "Percent and reset", "label", "percent-reset"),
        ("Number in the icon", "Off", "label", "off"), ("Quiet hours", "22:00–07:00", "quiet_hours", "22:00-07:00"),
        ("Quiet hours", "Off", "quiet_hours", "off"), ("Theme", "Dark panel", "theme", "dark"),
        ("Theme", "Follow the panel", "theme", "auto"),
    ]:
        entry = menu_entry(tray.app, "Settings", group, text)
        assert entry.radio
        settings_menu.choose(tray.app, key, value)  # what the item's action runs, off pystray's thread
        assert tray.app.settings.text(key) == value
        assert menu_entry(tray.app, "Settings", group, text).checked
    notify = menu_entry(tray.app, "Settings", "Notify at 80, 90, 100 %")
    assert notify.checked is True and not notify.radio
    settings_menu.choose(tray.app, "notify", "off")
    assert menu_entry(tray.app, "Settings", "Notify at").checked is False
    assert json.loads(tray.cache.read_text())["tray"]["settings"] == {"notify": "off"}
    settings_menu.choose(tray.app, "icon", "five_hour")
    assert tray.app.view.ring.single and tray.app.view.ring.outer == 48
    assert status_json(tray, capsys)["title"] == tray.icon.title


def test_a_value_set_elsewhere_shows_ticked_in_the_menu(tray):
    config(tray, "set", "quiet_hours", "01:30-06:00")
    tray.app.redraw()
    assert menu_entry(tray.app, "Settings", "Quiet hours", "01:30-06:00").checked


def test_settings_dropped_by_a_foreign_rewrite_come_back_at_the_next_redraw(tray):
    config(tray, "set", "show", "remaining")
    tray.app.redraw()
    raw = json.loads(tray.cache.read_text())
    tray.cache.write_text(json.dumps({"code": {"x": 1}, "pro": raw["pro"], "updated_at": raw["updated_at"]}))
    view = tray.app.redraw()
    assert view.ring.remaining  # shown from memory at once
    after = json.loads(tray.cache.read_text())
    assert after["tray"]["settings"] == {"show": "remaining"} and after["code"] == {"x": 1}
