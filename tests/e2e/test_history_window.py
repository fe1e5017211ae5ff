"""The menu's **Show usage history…** on a real desktop (Xvfb + trayer, the gtk backend): it opens one window
with the week's chart, a second choice brings that window forward (from under another) instead of opening
another, closing it ends its process, and the tray's own memory is where it was (the chart is drawn in the
window's process)."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool
from tests.e2e import test_tray_e2e
from tests.e2e.desktop import Desktop
from tests.e2e.test_tray_e2e import Tray, ups_to
from tests.week import simulated_week
from tray.base.values import replace
from tray.store import cache

TITLE = "claude-tray: usage history"
usage = test_tray_e2e.usage  # the fixtures: the loopback usage server, and a tray on this module's desktop
tray_for = test_tray_e2e.tray_for


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def settled_rss_kb(desktop: Desktop, pid: int) -> int:
    """The process's RSS once it holds still (the same over three looks a second or more apart)."""
    import time

    looks: list[tuple[float, int]] = []

    def still() -> int | None:
        now = time.monotonic()
        if not looks or now - looks[-1][0] >= 0.5:
            looks.append((now, rss_kb(pid)))
        last = looks[-3:]
        if len(last) == 3 and last[-1][0] - last[0][0] >= 1.0 and len({kb for _, kb in last}) == 1:
            return last[-1][1]
        return None

    return desktop.wait_until(still, 30, "the tray's memory holding still")


def windows_titled(desktop: Desktop, title: str) -> list[str]:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], env=desktop.env,
                           capture_output=True, text=True, timeout=10)
    return found.stdout.split()


def window_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--window-view" in argv and b"history" in argv:
                found.append(int(entry.name))
    return found


def topmost(desktop: Desktop) -> int | None:
    """The top-level window in front (no window manager: the root's last viewable child)."""
    from Xlib import X

    desktop.x.sync()
    shown = [w for w in desktop.x.screen().root.query_tree().children
             if w.get_attributes().map_state == X.IsViewable]
    return shown[-1].id if shown else None


def choose_history(tray: Tray) -> None:
    tray.open_menu()
    for _ in range(ups_to("Show usage history…")):
        tray.desktop.key("Up")
    tray.desktop.key("Return")


@pytest.mark.display
def test_show_usage_history_opens_one_window_a_second_time_raises_it_and_the_tray_stays_as_small(
        tray_for: Any) -> None:
    require_tool("xmessage")  # x11-utils: a plain window to put over the chart
    tray = tray_for("gtk")
    home = Path(tray.env["HOME"])
    path = home / ".claude" / "oh-my-claude" / ".usage_cache"
    path.parent.mkdir(parents=True, exist_ok=True)
    week = simulated_week(datetime.now(timezone.utc).replace(microsecond=0))
    cache.update_state(path, lambda current: replace(current, history=week.history), now=week.end)
    proc = tray.start()
    desktop = tray.desktop
    tray.icon()
    desktop.wait_until(lambda: tray.usage.hits, 30, "the first fetch")  # requests loaded before measuring
    tray.open_menu()  # the menu's own widgets are built once: not what is measured
    desktop.key("Escape")
    desktop.wait_until(lambda: not windows_titled(desktop, TITLE), 5, "no history window yet")
    before = settled_rss_kb(desktop, proc.pid)

    choose_history(tray)
    shown = desktop.wait_until(lambda: windows_titled(desktop, TITLE), 30, "the history window")
    assert len(shown) == 1
    geometry = subprocess.run(["xdotool", "getwindowgeometry", shown[0]], env=desktop.env, capture_output=True,
                              text=True, timeout=10).stdout
    assert "800x450" in geometry  # the chart at 1× (Xvfb's 96 dpi), the window fitted to it
    desktop.screenshot("history-window.png")
    # The desktop's theme (light here, as the tray's env says): the chart's background, beside its title.
    assert min(desktop.grab(600, 12, 1, 1).convert("RGB").getpixel((0, 0))) >= 245
    first = window_processes()
    assert len(first) == 1
    # The test screen (640×240) is smaller than the chart: move the window off the panel to reach the icon.
    subprocess.run(["xdotool", "windowmove", shown[0], "0", "120"], env=desktop.env, capture_output=True, timeout=10)

    cover = desktop.spawn(["xmessage", "-geometry", "640x120+0+120", "a window over the chart"], lifetime=60)
    desktop.wait_until(lambda: topmost(desktop) != int(shown[0]), 10, "another window over the chart")

    choose_history(tray)  # again: the open window comes forward, no second one
    desktop.wait_until(lambda: window_processes() == first, 30, "the second start handing over and exiting")
    desktop.wait_until(lambda: topmost(desktop) == int(shown[0]), 10, "the chart's window in front again")
    assert windows_titled(desktop, TITLE) == shown
    cover.kill()
    cover.wait(timeout=5)

    subprocess.run(["xdotool", "windowclose", shown[0]], env=desktop.env, capture_output=True, timeout=10)
    desktop.wait_until(lambda: not windows_titled(desktop, TITLE) and not window_processes(), 15,
                       "the window and its process gone")
    assert proc.poll() is None, tray.said()
    after = settled_rss_kb(desktop, proc.pid)
    assert after - before <= 1024, f"the tray grew from {before} kB to {after} kB"
    assert "Traceback" not in tray.said()
