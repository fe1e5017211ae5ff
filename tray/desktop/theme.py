"""Is the panel the icon sits on dark or light? Asked once at start-up; `CLAUDE_TRAY_THEME` decides if set.

Each system is asked the way it answers cheaply; anything unknown is "dark", the default of the GNOME top
bar, Windows 11's taskbar, XFCE, Cinnamon and Plasma 5 panels.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

THEMES = ("dark", "light")


def detect_theme(env: Mapping[str, str], platform: str = sys.platform, *, setting: str | None = None,
                 look: bool = True) -> str:
    """`CLAUDE_TRAY_THEME`, then the `theme` setting (SPEC §9, "auto" detects), then the system's answer.

    `look=False`: not the panel's pixels (start-up: python-xlib costs ~37 ms to import and the icon is not
    docked yet; the tray looks a second after it shows, tray/desktop/session.py)."""
    forced = env.get("CLAUDE_TRAY_THEME", "").strip().lower()
    if forced in THEMES:
        return forced
    if setting in THEMES:
        return str(setting)
    try:
        if platform == "darwin":
            return _macos()
        if platform == "win32":
            return _windows()
        return _linux(env, look)
    except (OSError, subprocess.SubprocessError, ValueError):
        return "dark"


def _macos() -> str:
    # `defaults` exits non-zero (no key) in light mode
    answer = subprocess.run(["defaults", "read", "-g", "AppleInterfaceStyle"], capture_output=True, text=True,
                            timeout=1.0, check=False)
    return "dark" if "dark" in answer.stdout.lower() else "light"


def _windows() -> str:
    if sys.platform != "win32":  # the registry exists only there (and only there do the type checks know winreg)
        raise OSError("no Windows registry on this system")
    import winreg

    key = r"Software\Microsoft\Windows\CurrentVersion\Themes\Personalize"
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
        light, _ = winreg.QueryValueEx(handle, "SystemUsesLightTheme")
    return "light" if light else "dark"


def _linux(env: Mapping[str, str], look: bool = True) -> str:
    """The panel itself first (its pixels, on X11), then what the desktop's theme is called.

    Measured on XFCE, LXDE and trayer: no GTK_THEME and a `color-scheme` of 'default', yet
    light panels; so the panel's own background decides where it can be seen.
    """
    gtk_theme = env.get("GTK_THEME", "").lower()
    if gtk_theme:
        return "dark" if "dark" in gtk_theme else "light"
    panel = panel_colour(env) if look else None
    if panel is not None:
        return theme_of_colour(panel)
    desktop = env.get("XDG_CURRENT_DESKTOP", "").lower()
    if "gnome" in desktop:
        return "dark"  # the top bar is dark whatever the application theme
    named = _theme_name(env)
    if named is not None:
        return named
    return "dark"


def theme_of_colour(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb[:3]
    return "light" if 0.299 * r + 0.587 * g + 0.114 * b >= 128 else "dark"


def _theme_name(env: Mapping[str, str]) -> str | None:
    """What the desktop calls its theme: xfconf (XFCE), gsettings, then GTK 3's settings.ini (LXDE, others)."""
    xfconf = _which("xfconf-query", env.get("PATH")) if "xfce" in env.get("XDG_CURRENT_DESKTOP", "").lower() else None
    if xfconf is not None:
        answer = subprocess.run([xfconf, "-c", "xsettings", "-p", "/Net/ThemeName"], capture_output=True,
                                text=True, timeout=1.0, check=False, env=dict(env))
        if answer.returncode == 0 and answer.stdout.strip():
            return "dark" if "dark" in answer.stdout.lower() else "light"
    gsettings = _which("gsettings", env.get("PATH"))
    if gsettings is not None:
        answer = subprocess.run([gsettings, "get", "org.gnome.desktop.interface", "color-scheme"],
                                capture_output=True, text=True, timeout=1.0, check=False)
        if "prefer-light" in answer.stdout:
            return "light"
        if "prefer-dark" in answer.stdout:
            return "dark"
    config = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    try:
        with open(os.path.join(config, "gtk-3.0", "settings.ini"), encoding="utf-8", errors="replace") as f:
            text = f.read().lower()
    except OSError:
        return None
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    values = {k.strip(): v.strip() for k, v in values.items()}
    if values.get("gtk-application-prefer-dark-theme") in ("1", "true"):
        return "dark"
    name = values.get("gtk-theme-name")
    if name:
        return "dark" if "dark" in name else "light"
    return None


def panel_colour(env: Mapping[str, str]) -> tuple[int, int, int] | None:
    """The panel's background on X11: the most common colour of the window that holds the system tray
    (the owner of `_NET_SYSTEM_TRAY_S0`, up to its top-level), else of a dock window; None elsewhere."""
    if not env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    try:
        from Xlib import X, Xatom, display
    except ImportError:
        return None
    try:
        conn = display.Display(env["DISPLAY"])
    except Exception:  # no X server there
        return None
    try:
        return _panel_colour(conn, X, Xatom)
    except Exception:  # a window went away while we looked: no answer, not a crash
        return None
    finally:
        conn.close()


def _panel_colour(conn: Any, X: Any, Xatom: Any) -> tuple[int, int, int] | None:
    root = conn.screen().root
    candidates = []
    # Our own icon, docked: the panel it sits in is exactly the one to match (trayer sets no dock type).
    # Only thin viewable windows along a screen edge are searched: panels, not every application's tree.
    screen = conn.screen()
    for top in root.query_tree().children:
        if not _panel_shaped(top, screen.width_in_pixels, screen.height_in_pixels, X):
            continue
        for child, _depth in _descendants(top):
            try:
                names = child.get_wm_class() or ()
            except Exception:  # destroyed while we looked
                continue
            if ICON_CLASS in names:
                candidates.append(top)
                break
    owner = conn.get_selection_owner(conn.intern_atom("_NET_SYSTEM_TRAY_S0"))
    if owner != X.NONE:
        candidates.append(conn.create_resource_object("window", owner.id))
    dock = conn.intern_atom("_NET_WM_WINDOW_TYPE_DOCK")
    kind = conn.intern_atom("_NET_WM_WINDOW_TYPE")
    for child in root.query_tree().children:
        prop = child.get_full_property(kind, Xatom.ATOM)
        if prop is not None and dock in prop.value:
            candidates.append(child)
    for win in candidates:
        top = win
        while True:  # up to the top-level: the tray's own window is often a 1×1 or input-only helper
            parent = top.query_tree().parent
            if parent.id == root.id or parent.id == 0:
                break
            top = parent
        if top.get_attributes().map_state != X.IsViewable:
            continue
        geom = top.get_geometry()
        pos = top.translate_coords(root, 0, 0)
        x, y, w, h = -pos.x, -pos.y, geom.width, geom.height
        if w < 4 or h < 4:
            continue
        return most_common(root.get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF).data, w * h)
    return None


ICON_CLASS = "claude-tray"
PANEL_MAX_THICKNESS = 160


def _panel_shaped(win: Any, width: int, height: int, X: Any) -> bool:
    try:
        if win.get_attributes().map_state != X.IsViewable:
            return False
        geom = win.get_geometry()
    except Exception:  # destroyed while we looked
        return False
    at_edge = geom.x <= 0 or geom.y <= 0 or geom.x + geom.width >= width or geom.y + geom.height >= height
    return at_edge and min(geom.width, geom.height) <= PANEL_MAX_THICKNESS


def _descendants(win: Any, depth: int = 0) -> list[tuple[Any, int]]:
    found = []
    for child in win.query_tree().children:
        found.append((child, depth + 1))
        found.extend(_descendants(child, depth + 1))
    return found


def most_common(bgrx: bytes, pixels: int) -> tuple[int, int, int]:
    """The most frequent colour in 32-bit BGRX pixels (a sample of at most ~4000 of them)."""
    counts: dict[bytes, int] = {}
    step = max(1, pixels // 4000) * 4
    for i in range(0, len(bgrx) - 3, step):
        key = bgrx[i:i + 3]
        counts[key] = counts.get(key, 0) + 1
    b, g, r = max(counts, key=counts.__getitem__)
    return r, g, b


def _which(name: str, path: str | None) -> str | None:
    """shutil.which for one POSIX program name: shutil would load bz2 and lzma into the tray for this."""
    if path is None:
        path = os.environ.get("PATH") or os.defpath
    if not path:
        return None
    for folder in path.split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None
