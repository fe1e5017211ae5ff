"""The real `claude-tray run` on Xvfb + trayer against a loopback usage server (issue 3, item 5).

What a user sees: the ring docks and shows the 5-hour figure, a refresh redraws it, the menu opens and
its items work, Quit and SIGTERM end it promptly, a second tray steps aside, and no display means a
clear sentence instead of a hang.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import install_credentials
from tests.e2e.desktop import ROOT, Box, Desktop

WM_CLASS = "claude-tray"
USAGE_PATH = "/api/oauth/usage"
CLAUDE_TRAY = Path(sys.executable).with_name("claude-tray")
COMMAND = [str(CLAUDE_TRAY)] if CLAUDE_TRAY.exists() else [sys.executable, "-m", "tray"]
OUTER_BAND = (0.74, 0.92)  # fractions of the icon's half size inside the outer (5-hour) ring
# The menu's actions from the bottom, as the keyboard reaches them (SPEC §5 order, separators skipped).
MENU_FROM_BOTTOM = (
    "Quit", "Show usage history…",
    *(("Settings",) if (ROOT / "tray" / "desktop" / "settings_menu.py").exists() else ()),
    "Launch at login", "Show debug error", "Open claude.ai usage settings", "Refresh now",
)


def ups_to(label: str) -> int:
    """How many Up keys from an open menu with nothing selected reach `label`."""
    return MENU_FROM_BOTTOM.index(label) + 1


@dataclass
class UsageServer:
    """A loopback usage endpoint whose figures a test can change between requests."""

    server: HTTPServer
    five_hour: float = 30.0
    seven_day: float = 20.0
    hits: list[datetime] = field(default_factory=list)
    failing: bool = False  # answer like a proxy whose upstream is down

    def respond(self, request: Request) -> Response:
        self.hits.append(datetime.now(timezone.utc))
        if self.failing:
            return Response("<html><h1>502 Bad Gateway</h1></html>", status=502, content_type="text/html")
        now = datetime.now(timezone.utc)
        # Resets chosen so the pace ticks sit at ~10 % (5 h) and ~7 % (7 d), away from the sampled arcs.
        body = {
            "five_hour": {"utilization": self.five_hour, "resets_at": (now + timedelta(hours=4.5)).isoformat()},
            "seven_day": {"utilization": self.seven_day, "resets_at": (now + timedelta(days=6.5)).isoformat()},
            "seven_day_opus": None,
            "extra_usage": None,
        }
        return Response(json.dumps(body), status=200, content_type="application/json")

    @property
    def url(self) -> str:
        return self.server.url_for(USAGE_PATH)


@dataclass
class Tray:
    desktop: Desktop
    env: dict[str, str]
    usage: UsageServer
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        self.proc = self.desktop.spawn([*COMMAND, "run", "--interval", "30"], self.env, lifetime=90)
        return self.proc

    def icon(self) -> Box:
        try:
            return self.desktop.find_window(WM_CLASS, 15, painted=True)
        except TimeoutError:
            self.desktop.screenshot("tray-missing.png")
            raise AssertionError(f"no docked claude-tray icon; it said:\n{self.said()}") from None

    def said(self) -> str:
        return Desktop.output(self.proc) if self.proc else ""

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*COMMAND, *args], env=self.env, capture_output=True, text=True, timeout=30)

    def open_menu(self) -> Box:
        box = self.icon()
        before = self.desktop.popups()
        self.desktop.click(*box.center, button=3)
        return self.desktop.new_popup(before)


@pytest.fixture
def usage(httpserver: HTTPServer) -> UsageServer:
    server = UsageServer(httpserver)
    httpserver.expect_request(USAGE_PATH).respond_with_handler(server.respond)
    return server


@pytest.fixture
def tray_for(desktop: Desktop, usage: UsageServer, tmp_path: Path, fixtures: Path) -> Iterator[Any]:
    started: list[Tray] = []

    def make(backend: str) -> Tray:
        home = tmp_path / "home"
        (home / ".claude").mkdir(parents=True, exist_ok=True)
        install_credentials(home, fixtures / "credentials" / "pro_valid.json")
        env = {k: v for k, v in desktop.env.items()
               if k not in ("CLAUDE_CONFIG_DIR", "CLAUDE_TRAY_CACHE", "CLAUDE_TRAY_INTERVAL")}
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), CLAUDE_TRAY_API_URL=usage.url,
                   PYSTRAY_BACKEND=backend, CLAUDE_TRAY_TICK_SECONDS="1",
                   CLAUDE_TRAY_THEME="light")  # trayer's panel is light grey
        tray = Tray(desktop, env, usage)
        started.append(tray)
        return tray

    yield make
    for tray in started:
        if tray.proc and tray.proc.poll() is None:
            tray.proc.kill()
            tray.proc.wait(timeout=5)
    desktop.wait_until(lambda: not desktop.windows(WM_CLASS), 5, "the icon leaving the tray")


def painted_area(desktop: Desktop, box: Box) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The icon's pixels and the bounding box of what differs from the tray's own background."""
    image = desktop.grab_box(box)
    diff = ImageChops.difference(image, Image.new("RGB", image.size, desktop.tray_background()))
    return image, diff.getbbox() or (0, 0, *image.size)


def arc_coloured_at(image: Image.Image, bbox: tuple[int, int, int, int], turns: float) -> bool:
    """Whether the outer ring shows a saturated (level-coloured) pixel at `turns` clockwise from 12.

    Half-width and half-height are measured separately: pystray's xorg backend stretches the icon to its
    slot, so the ring can be an ellipse.
    """
    x0, y0, x1, y1 = bbox
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    for step in range(7):
        r = OUTER_BAND[0] + (OUTER_BAND[1] - OUTER_BAND[0]) * step / 6
        x = cx + r * hw * math.sin(2 * math.pi * turns)
        y = cy - r * hh * math.cos(2 * math.pi * turns)
        pixel = image.getpixel((min(int(x), image.width - 1), min(int(y), image.height - 1)))
        if max(pixel) - min(pixel) >= 60:  # the track is grey-white; level colours are saturated
            return True
    return False


def not_blank(image: Image.Image) -> bool:
    return len(image.getcolors(image.width * image.height) or []) > 2


@pytest.mark.display
@pytest.mark.parametrize("backend", ["gtk", "xorg"])
def test_ring_shows_the_five_hour_figure_and_redraws_after_a_refresh(tray_for: Any, backend: str) -> None:
    tray = tray_for(backend)
    tray.start()
    desktop = tray.desktop

    def ring_between(coloured: float, bare: float) -> Callable[[], bool]:
        """The outer arc is coloured at `coloured` turns and not at `bare` (the reading lies between)."""

        def check() -> bool:
            image, bbox = painted_area(desktop, tray.icon())
            return arc_coloured_at(image, bbox, coloured) and not arc_coloured_at(image, bbox, bare)

        return check

    try:  # the first fetch may land after the first paint ("Reading…")
        desktop.wait_until(ring_between(0.15, 0.6), 15, "the ring showing 30 %")
    finally:
        desktop.screenshot(f"tray-{backend}-30.png")
    before = desktop.grab_box(tray.icon())

    tray.usage.five_hour = 85.0
    refreshed = tray.command("refresh")
    assert refreshed.returncode == 0, refreshed.stderr

    try:  # the 1 s tick redraws from the cache the refresh wrote
        desktop.wait_until(ring_between(0.6, 0.95), 10, "the ring showing 85 %")
    finally:
        desktop.screenshot(f"tray-{backend}-85.png")
    assert ImageChops.difference(desktop.grab_box(tray.icon()), before).getbbox() is not None
    assert "Traceback" not in tray.said()


@pytest.mark.display
def test_right_click_opens_the_menu_and_refresh_now_fetches(tray_for: Any) -> None:
    tray = tray_for("gtk")
    tray.start()
    desktop = tray.desktop
    desktop.wait_until(lambda: tray.usage.hits, 15, "the first fetch")
    # The menu's lines come from the cache: wait until the icon shows the reading before opening it.
    desktop.wait_until(lambda: arc_coloured_at(*painted_area(desktop, tray.icon()), 0.15), 15, "a reading")

    menu = tray.open_menu()
    shot = desktop.screenshot("tray-menu.png")
    assert not_blank(desktop.grab_box(menu))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        panel = tray.icon()
        right = max(menu.x + menu.width, panel.x + panel.width) + 8
        bottom = min(menu.y + menu.height + 8, Image.open(shot).height)
        Image.open(shot).crop((0, 0, right, bottom)).save(ROOT / "docs" / "menu-screenshot.png")

    hits = len(tray.usage.hits)
    for _ in range(ups_to("Refresh now")):
        desktop.key("Up")
    desktop.key("Return")
    desktop.wait_until(lambda: len(tray.usage.hits) > hits, 10, "a request after Refresh now")
    assert tray.proc is not None and tray.proc.poll() is None


def window_titled(desktop: Desktop, title: str) -> bool:
    found = subprocess.run(["xdotool", "search", "--name", title], env=desktop.env, capture_output=True,
                           text=True, timeout=10)
    return found.returncode == 0 and bool(found.stdout.strip())


@pytest.mark.display
def test_show_debug_error_opens_a_window_with_the_failure_and_no_token(tray_for: Any) -> None:
    tray = tray_for("gtk")
    tray.usage.failing = True
    tray.start()
    desktop = tray.desktop
    desktop.wait_until(lambda: tray.usage.hits, 15, "the first fetch")
    cache = Path(tray.env["HOME"]) / ".claude" / "oh-my-claude" / ".usage_cache"

    def error_recorded() -> bool:
        try:
            return json.loads(cache.read_text())["tray"]["last_error"]["status"] == 502
        except (OSError, ValueError, KeyError, TypeError):
            return False

    desktop.wait_until(error_recorded, 15, "the 502 recorded in the cache")
    tray.open_menu()
    for _ in range(ups_to("Show debug error")):
        desktop.key("Up")
    desktop.key("Return")
    desktop.wait_until(lambda: window_titled(desktop, "claude-tray: debug"), 15, "the debug window")
    desktop.screenshot("tray-debug-window.png")
    assert tray.proc is not None and tray.proc.poll() is None
    assert "FAKE" not in cache.read_text()
    # The window is its own process (its own session, so it outlives the tray): close it, or it keeps the
    # keyboard focus that the next test's menu navigation needs.
    subprocess.run(["xdotool", "search", "--name", "claude-tray: debug", "windowclose"], env=desktop.env,
                   capture_output=True, timeout=10, check=False)
    desktop.wait_until(lambda: not window_titled(desktop, "claude-tray: debug"), 10, "the debug window closed")


@pytest.mark.display
def test_quit_in_the_menu_ends_the_tray_within_two_seconds(tray_for: Any) -> None:
    tray = tray_for("gtk")
    proc = tray.start()
    tray.open_menu()
    tray.desktop.key("Up")  # from no selection, Up selects the last item: Quit
    tray.desktop.key("Return")
    assert proc.wait(timeout=2) == 0, tray.said()


@pytest.mark.display
@pytest.mark.parametrize("backend", ["gtk", "xorg"])
def test_sigterm_ends_the_tray_within_two_seconds(tray_for: Any, backend: str) -> None:
    tray = tray_for(backend)
    proc = tray.start()
    tray.icon()
    proc.terminate()
    assert proc.wait(timeout=2) == 0, tray.said()
    assert "Traceback" not in tray.said()


@pytest.mark.display
def test_a_second_tray_on_the_same_cache_exits_zero_saying_one_already_runs(tray_for: Any) -> None:
    tray = tray_for("gtk")
    tray.start()
    tray.icon()

    second = subprocess.run([*COMMAND, "run", "--interval", "30"], env=tray.env, capture_output=True,
                            text=True, timeout=20)

    assert second.returncode == 0
    assert "already" in (second.stdout + second.stderr).lower()
    assert len(tray.desktop.windows(WM_CLASS)) == 1


def test_run_without_a_display_exits_at_once_naming_claude_tray_status(tmp_path: Path, fixtures: Path) -> None:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    install_credentials(home, fixtures / "credentials" / "pro_valid.json")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "CLAUDE_TRAY_CACHE",
                        "CLAUDE_CONFIG_DIR")}
    env.update(HOME=str(home), CLAUDE_TRAY_API_URL="http://127.0.0.1:9/unused")

    result = subprocess.run([*COMMAND, "run"], env=env, capture_output=True, text=True, timeout=20)

    assert result.returncode != 0
    assert "claude-tray status" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
