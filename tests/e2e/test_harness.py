"""The e2e harness works: a bare pystray icon docks in trayer, shows its colour, opens its menu, quits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.bare_icon import COLOUR, NAME
from tests.e2e.desktop import Box, Desktop, time_to_visible

pytestmark = pytest.mark.display

BARE_ICON = [sys.executable, str(Path(__file__).with_name("bare_icon.py"))]
BACKENDS = ["xorg", "gtk"]


def share_of_colour(desktop: Desktop, box: Box, colour: tuple[int, int, int]) -> float:
    counts = {c: n for n, c in desktop.grab_box(box).getcolors(box.width * box.height) or []}
    return counts.get(colour, 0) / (box.width * box.height)


def start_bare_icon(desktop: Desktop, backend: str) -> tuple[subprocess.Popen[bytes], Box]:
    proc = desktop.spawn(BARE_ICON, dict(desktop.env, PYSTRAY_BACKEND=backend), lifetime=60)
    try:
        box = desktop.find_window(NAME, 10, painted=True)
    except TimeoutError:
        desktop.screenshot(f"bare-icon-{backend}-missing.png")
        raise AssertionError(f"bare icon never docked; it said:\n{Desktop.output(proc)}") from None
    return proc, box


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.terminate()
    return proc.wait(timeout=2)  # SIGTERM must end a tray within 2 s (SPEC §5: "never hang")


def test_desktop_runs_a_tray_host_and_a_notification_daemon(desktop: Desktop) -> None:
    assert desktop.tray_owner() != 0
    assert desktop.notifications_owned()


def test_a_notification_appears_on_the_desktop_display(desktop: Desktop) -> None:
    before = desktop.popups()
    subprocess.run(["notify-send", "harness", "hello from the e2e harness"], env=desktop.env, check=True,
                   timeout=10)
    bubble = desktop.new_popup(before)
    desktop.screenshot("harness-notification.png")
    assert len(desktop.grab_box(bubble).getcolors(bubble.width * bubble.height) or []) > 1  # text drawn


@pytest.mark.parametrize("backend", BACKENDS)
def test_bare_icon_docks_in_trayer_and_shows_its_colour(desktop: Desktop, backend: str) -> None:
    proc, box = start_bare_icon(desktop, backend)
    desktop.screenshot(f"bare-icon-{backend}.png")

    assert box.y + box.height <= 32  # inside trayer's 32 px panel at the top
    assert share_of_colour(desktop, box, COLOUR) > 0.5
    assert stop(proc) == 0
    desktop.wait_until(lambda: not desktop.windows(NAME), 5, "the icon leaving the tray")


def test_right_click_on_the_gtk_icon_opens_its_menu_and_quit_ends_it(desktop: Desktop) -> None:
    proc, box = start_bare_icon(desktop, "gtk")
    before = desktop.popups()

    desktop.click(*box.center, button=3)
    menu = desktop.new_popup(before)
    desktop.screenshot("bare-icon-menu.png")

    assert menu.y >= box.y + box.height - 1  # opens below the icon, as a panel menu does
    assert len(desktop.grab_box(menu).getcolors(menu.width * menu.height) or []) > 2  # items drawn
    desktop.key("Up")  # from no selection, Up selects the last item: Quit
    desktop.key("Return")
    assert proc.wait(timeout=2) == 0


def test_time_to_visible_measures_the_bare_icon_startup(desktop: Desktop) -> None:
    timings = {}
    for backend in BACKENDS:
        env = dict(desktop.env, PYSTRAY_BACKEND=backend)
        runs = sorted(time_to_visible(BARE_ICON, env, NAME) for _ in range(5))
        timings[backend] = {"median_s": round(runs[2], 3), "runs_s": [round(r, 3) for r in runs]}
    desktop.artifacts.mkdir(exist_ok=True)
    (desktop.artifacts / "bare-icon-time-to-visible.json").write_text(json.dumps(timings, indent=2))
    print(f"bare icon startup to visible: {timings}")

    assert all(t["median_s"] > 0 for t in timings.values())
    assert not desktop.windows(NAME)  # time_to_visible ends what it started


def test_leaving_the_desktop_ends_every_process_it_started(tmp_path: Path) -> None:
    with Desktop(artifacts=tmp_path) as desk:
        desk.spawn(BARE_ICON, dict(desk.env, PYSTRAY_BACKEND="gtk"), lifetime=60)
        desk.find_window(NAME, 10, painted=True)
        pids = [p.pid for p in desk._children]
        socket = Path("/tmp/.X11-unix") / f"X{desk.env['DISPLAY'].lstrip(':')}"
        assert socket.exists()

    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not socket.exists()
