"""The "Show debug error" window on a real X desktop (issue 14, item 10): one window however often it is asked
for, sized to its text, in the desktop's colours, and what Copy put on the clipboard is still there after Close."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.desktop import Box, Desktop
from tray.desktop import edges

TITLE = "claude-tray: debug"


@pytest.fixture
def on_desktop(desktop: Desktop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    for key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "HOME"):
        monkeypatch.setenv(key, desktop.env[key])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no xclip/xsel here: the window keeps the clipboard itself
    monkeypatch.setattr(edges, "_viewer", None)
    yield desktop
    if edges._viewer is not None and edges._viewer.poll() is None:
        edges._viewer.kill()
        edges._viewer.wait(timeout=5)


def windows_titled(desktop: Desktop) -> list[int]:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", TITLE], env=desktop.env,
                           capture_output=True, text=True, timeout=10)
    return [int(w) for w in found.stdout.split()]


def geometry(desktop: Desktop, window: int) -> Box:
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", str(window)], env=desktop.env,
                         capture_output=True, text=True, timeout=10, check=True).stdout
    v = dict(line.split("=", 1) for line in out.split())
    return Box(int(v["X"]), int(v["Y"]), int(v["WIDTH"]), int(v["HEIGHT"]), window)


def clipboard(desktop: Desktop) -> str:
    read = "import tkinter; r = tkinter.Tk(); r.withdraw(); print(r.clipboard_get(), end='')"
    return subprocess.run([sys.executable, "-c", read], env=desktop.env, capture_output=True, text=True,
                          timeout=15).stdout


@pytest.mark.display
def test_the_debug_window_is_one_window_in_dark_colours_and_copy_outlives_close(on_desktop: Desktop) -> None:
    desktop = on_desktop
    assert edges.show_text_window(TITLE, "Last error: HTTP 502 from the usage endpoint.", "dark")
    first = desktop.wait_until(lambda: windows_titled(desktop), 10, "the debug window")
    assert edges.show_text_window(TITLE, "Last error: none since 12:00.", "dark")  # asked again
    viewer = edges._viewer
    assert viewer is not None
    desktop.wait_until(lambda: not os.path.exists(edges._viewer_text_path(viewer.pid)), 5, "the new text taken")
    desktop.wait_until(lambda: len(windows_titled(desktop)) == 1, 5, "still one window")
    assert windows_titled(desktop) == first

    box = desktop.wait_until(lambda: geometry(desktop, first[0]), 5, "its geometry")
    assert box.width < 739 and box.height < 397  # sized to two short lines, not the old fixed 739×397
    shot = desktop.grab_box(box)
    desktop.screenshot("debug-window.png")
    _count, commonest = max(shot.getcolors(box.width * box.height) or [(0, (255, 255, 255))])
    assert sum(commonest) / 3 < 80, commonest  # dark desktop, dark window

    desktop.click(box.x + 25, box.y + box.height - 18)  # Copy (bottom left)
    desktop.click(box.x + box.width - 25, box.y + box.height - 18)  # Close (bottom right)
    desktop.screenshot("debug-window-closing.png")
    desktop.wait_until(lambda: not windows_titled(desktop), 5, "the window closed")
    assert clipboard(desktop) == "Last error: none since 12:00."
