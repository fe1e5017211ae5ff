"""Desktop facts without a desktop (issue 14): the theme from what the desktop says, the tray-host sentence,
and the icon following a changed cache from one cheap stat()."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.test_app import NOW, make_app, usage_payload  # noqa: F401 - the fixture
from tray.base.values import replace
from tray.desktop.hosts import check_host, no_host_message
from tray.desktop.theme import detect_theme, most_common, theme_of_colour
from tray.store import cache


def status_line_writes_93(at):
    """A writer as Claude Code's status line would be: the 5-hour window at 93 %, fetched `at`."""
    def write(state):
        usage = state.usage
        return replace(state, fetched_at=at,
                       usage=replace(usage, five_hour=replace(usage.five_hour, utilization=93.0)))
    return write

def test_a_light_panel_colour_means_the_light_theme_and_a_dark_one_dark() -> None:
    assert theme_of_colour((236, 236, 236)) == "light"
    assert theme_of_colour((32, 32, 32)) == "dark"
    assert most_common(bytes([10, 20, 30, 0]) * 50 + bytes([200, 200, 200, 0]) * 10, 60) == (30, 20, 10)


def test_the_gtk_settings_file_names_the_theme_where_nothing_else_answers(tmp_path: Path) -> None:
    config = tmp_path / "config" / "gtk-3.0"
    config.mkdir(parents=True)
    env = {"PATH": "/nonexistent", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    (config / "settings.ini").write_text("[Settings]\ngtk-theme-name=Adwaita\n")
    assert detect_theme(env, "linux") == "light"
    (config / "settings.ini").write_text("[Settings]\ngtk-theme-name=Adwaita\ngtk-application-prefer-dark-theme=1\n")
    assert detect_theme(env, "linux") == "dark"


def test_the_theme_setting_overrides_the_desktop_and_the_environment_overrides_both() -> None:
    env = {"GTK_THEME": "Adwaita:dark", "PATH": "/nonexistent"}
    assert detect_theme(env, "linux", setting="light") == "light"
    assert detect_theme(env, "linux", setting="auto") == "dark"
    assert detect_theme({**env, "CLAUDE_TRAY_THEME": "dark"}, "linux", setting="light") == "dark"


def test_with_neither_bus_nor_display_there_is_no_host_and_the_sentence_says_what_to_start() -> None:
    found = check_host({"PATH": "/nonexistent"}, "appindicator")
    assert not found.present
    assert found.title.startswith("No tray host")
    assert "panel" in found.fix and "AppIndicator" in found.fix
    assert "the icon appears as soon as one runs" in no_host_message(found)


def test_a_cache_written_by_another_process_is_drawn_at_the_next_follow(make_app, httpserver: HTTPServer):  # noqa: F811
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(30, 20))
    app, icon, clock = make_app()
    app.fetch(manual=False)
    app.follow_cache()  # the first look only remembers the file
    titles = len(icon.titles)
    app.follow_cache()
    assert len(icon.titles) == titles  # unchanged: nothing redrawn
    clock["now"] = NOW + timedelta(seconds=3)

    cache.update_state(app.cache_file, status_line_writes_93(clock["now"]), now=clock["now"])
    os.utime(app.cache_file, ns=(os.stat(app.cache_file).st_mtime_ns + 10**9,) * 2)  # a coarse-mtime file system
    app.follow_cache()
    assert "93%" in app.view.title or "93 %" in app.view.title, app.view.title
