"""The panel theme decides the icon's track and ink colours; a user's CLAUDE_TRAY_THEME always wins."""

from __future__ import annotations

from tray.desktop.theme import detect_theme


def test_the_environment_override_wins_everywhere():
    for platform in ("linux", "darwin", "win32"):
        assert detect_theme({"CLAUDE_TRAY_THEME": "Light"}, platform) == "light"


def test_a_gtk_theme_name_tells_dark_from_light():
    assert detect_theme({"GTK_THEME": "Adwaita:dark"}, "linux") == "dark"
    assert detect_theme({"GTK_THEME": "Adwaita"}, "linux") == "light"


def test_gnome_means_a_dark_top_bar_whatever_the_app_theme():
    assert detect_theme({"XDG_CURRENT_DESKTOP": "ubuntu:GNOME"}, "linux") == "dark"


def test_an_unknown_desktop_falls_back_to_dark_without_failing():
    assert detect_theme({"PATH": "/nonexistent"}, "linux") == "dark"
    assert detect_theme({"CLAUDE_TRAY_THEME": "purple", "GTK_THEME": "Adwaita"}, "linux") == "light"
