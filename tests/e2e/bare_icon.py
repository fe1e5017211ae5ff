"""A bare pystray icon of one solid colour, to prove the e2e harness and to time a tray's startup.

Run: `PYSTRAY_BACKEND=xorg|gtk python tests/e2e/bare_icon.py`. It docks an icon named "bare-icon" (its
window's WM_CLASS) filled with COLOUR; on backends with menus it has two items, "Hello" and "Quit".
SIGTERM quits it the way Quit does; a watchdog ends it whatever pystray does (xorg's run() sometimes
never returns after stop(), TRAY-TESTING.md), and it never lives longer than --lifetime seconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

NAME = "bare-icon"
COLOUR = (220, 20, 180)  # a magenta no panel theme paints by chance
QUIT_GRACE = 1.5  # seconds stop() may take before the watchdog ends the process
REDOCK_EVERY = 0.5  # seconds between checks that the xorg icon really got embedded


def _exit_soon(code: int) -> None:
    timer = threading.Timer(QUIT_GRACE, os._exit, (code,))
    timer.daemon = True
    timer.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lifetime", type=float, default=120.0, help="hard limit in seconds")
    args = parser.parse_args(argv)

    lifetime = threading.Timer(args.lifetime, os._exit, (3,))
    lifetime.daemon = True
    lifetime.start()

    if os.environ.get("PYSTRAY_BACKEND") in ("gtk", "appindicator"):
        # GTK takes the window's WM_CLASS from the program name, which would be "bare_icon.py".
        from gi.repository import GLib

        GLib.set_prgname(NAME)

    import pystray  # after the display is known to exist; a missing DISPLAY raises here
    from PIL import Image

    icon = pystray.Icon(NAME, Image.new("RGB", (64, 64), COLOUR), title="bare icon")

    def quit_icon(*_: object) -> None:
        _exit_soon(0)
        icon.stop()

    icon.menu = pystray.Menu(pystray.MenuItem("Hello", lambda: None), pystray.MenuItem("Quit", quit_icon))
    signal.signal(signal.SIGTERM, lambda *_: quit_icon())
    if os.environ.get("PYSTRAY_BACKEND") in ("gtk", "appindicator"):
        # The GLib loop blocks in C, where Python signal handlers never run; let GLib deliver SIGTERM.
        from gi.repository import GLib

        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: quit_icon() or False)
    icon.run(_show_and_redock)
    return 0


def _show_and_redock(icon: object) -> None:
    """Show the icon; on xorg, re-send the image while the tray host has not embedded the window.

    Measured under trayer: about one xorg start in ten leaves the window un-embedded (1×1, unmapped,
    still a child of the root) and it only docks at the next image update (TRAY-TESTING.md). pystray
    offers no public "am I docked?", so this peeks at the xorg backend's window.
    """
    icon.visible = True  # type: ignore[attr-defined]
    window = getattr(icon, "_window", None)
    if window is None:  # not the xorg backend
        return
    root = icon._display.screen().root  # type: ignore[attr-defined]
    for _ in range(20):
        time.sleep(REDOCK_EVERY)  # polling our own window's parent; nothing to wait on instead
        if window.query_tree().parent.id != root.id:
            return
        print("not embedded yet; re-sending the icon", flush=True)
        icon.icon = icon.icon  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
