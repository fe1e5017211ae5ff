"""Is the panel the icon sits on dark or light? Asked once at start-up; `CLAUDE_TRAY_THEME` decides if set.

Each system is asked the way it answers cheaply; anything unknown is "dark", the default of the GNOME top
bar, Windows 11's taskbar, XFCE, Cinnamon and Plasma 5 panels.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

THEMES = ("dark", "light")


def detect_theme(env: Mapping[str, str], platform: str = sys.platform) -> str:
    forced = env.get("CLAUDE_TRAY_THEME", "").strip().lower()
    if forced in THEMES:
        return forced
    try:
        if platform == "darwin":
            return _macos()
        if platform == "win32":
            return _windows()
        return _linux(env)
    except (OSError, subprocess.SubprocessError, ValueError):
        return "dark"


def _macos() -> str:
    # `defaults` exits non-zero (no key) in light mode
    answer = subprocess.run(["defaults", "read", "-g", "AppleInterfaceStyle"], capture_output=True, text=True,
                            timeout=1.0, check=False)
    return "dark" if "dark" in answer.stdout.lower() else "light"


def _windows() -> str:
    import winreg  # type: ignore[import-not-found]

    key = r"Software\Microsoft\Windows\CurrentVersion\Themes\Personalize"
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:  # type: ignore[attr-defined]
        light, _ = winreg.QueryValueEx(handle, "SystemUsesLightTheme")  # type: ignore[attr-defined]
    return "light" if light else "dark"


def _linux(env: Mapping[str, str]) -> str:
    gtk_theme = env.get("GTK_THEME", "").lower()
    if gtk_theme:
        return "dark" if "dark" in gtk_theme else "light"
    desktop = env.get("XDG_CURRENT_DESKTOP", "").lower()
    if "gnome" in desktop:
        return "dark"  # the top bar is dark whatever the application theme
    gsettings = _which("gsettings", env.get("PATH"))
    if gsettings is None:
        return "dark"
    answer = subprocess.run([gsettings, "get", "org.gnome.desktop.interface", "color-scheme"],
                            capture_output=True, text=True, timeout=1.0, check=False)
    if "prefer-light" in answer.stdout:
        return "light"
    return "dark"


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
