"""Which pystray backend will run here, and what is missing for a better one — without importing pystray.

Importing pystray with no display raises Xlib's DisplayNameError (TRAY-TESTING.md), so this looks only
at the platform, the environment and which libraries can be imported.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping

from tray.base.values import record

_MENU = {"appindicator": True, "gtk": True, "xorg": False, "win32": True, "darwin": True, "dummy": False}


@record
class BackendInfo:
    name: str
    has_menu: bool
    display: str | None  # why there is no display, or None when there is one
    advice: str | None  # what would give a better backend (None when nothing is missing)


def detect_backend(env: Mapping[str, str], platform: str = sys.platform) -> BackendInfo:
    if platform == "win32":
        return BackendInfo("win32", True, None, None)
    if platform == "darwin":
        return BackendInfo("darwin", True, None, None)
    display = None
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        display = (
            "No X display (DISPLAY is unset): the tray needs a desktop session; "
            "`claude-tray status` shows the figures in a terminal."
        )
    forced = env.get("PYSTRAY_BACKEND", "").strip()
    if forced:
        return BackendInfo(forced, _MENU.get(forced, False), display, None)
    gi = _gi_namespaces()
    if "AyatanaAppIndicator3" in gi or "AppIndicator3" in gi:
        return BackendInfo("appindicator", True, display, None)
    if "Gtk" in gi:
        return BackendInfo(
            "gtk", True, display,
            "For GNOME/KDE panels that only show StatusNotifierItems, install Ayatana AppIndicator "
            "(Debian/Ubuntu: `sudo apt install gir1.2-ayatanaappindicator3-0.1`).",
        )
    advice = (
        "No menu on this backend (PyGObject is missing): install GTK's development files, on Debian/Ubuntu "
        "`sudo apt-get install pkg-config libgirepository1.0-dev libcairo2-dev gir1.2-gtk-3.0 "
        "gir1.2-ayatanaappindicator3-0.1`, then run `./scripts/run` again in the source folder (or "
        "`pipx install --force '.[gtk]'` there) and restart the tray; README, \"Menus on Linux\"."
    )
    return BackendInfo("xorg", False, display, advice)


def _gi_namespaces() -> set[str]:
    if importlib.util.find_spec("gi") is None:
        return set()
    found: set[str] = set()
    try:
        import gi
    except Exception:  # a broken PyGObject install must not stop `doctor`
        return found
    for namespace, version in (("Gtk", "3.0"), ("AyatanaAppIndicator3", "0.1"), ("AppIndicator3", "0.1")):
        try:
            gi.require_version(namespace, version)
            found.add(namespace)
        except (ValueError, AttributeError):
            continue
    return found
