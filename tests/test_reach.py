"""What a stranger meets first: the options after any command, the exit codes, doctor's tally, the no-menu
hint, and an autostart entry whose icon exists. Real files in a temporary HOME."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import ROOT
from tray.cli import EXIT_CODES, _parser, main
from tray.desktop.autostart import get_backend
from tray.desktop.autostart.desktop_entry import parse_desktop_entry
from tray.desktop.autostart.icon import ICON_NAME, SIZES
from tray.desktop.backend import detect_backend
from tray.doctor import BAD, OK, WARN, Check, summary
from tray.errors import ExitCode


def _with_cache(home: Path, fixtures: Path, folder: str = ".claude") -> Path:
    cache = home / folder / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(fixtures / "cache" / "oh_my_claude.json", cache)
    return cache


@pytest.mark.parametrize("argv", [
    ["status", "--config-dir", "{work}"],
    ["status", "--json", "--config-dir", "{work}"],
    ["--config-dir", "{work}", "status"],
])
def test_config_dir_is_taken_before_or_after_the_command(argv: list[str], home: Path, fixtures: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _with_cache(home, fixtures, "work-claude")
    code = main([a.format(work=home / "work-claude") for a in argv], {"HOME": str(home)})
    out = capsys.readouterr().out
    assert code == 0 and "oh-my-claude" in out  # the reading of the work config dir's cache
    assert main(["status"], {"HOME": str(home)}) != 0  # the default config dir has none


def test_every_command_and_subcommand_accepts_config_dir() -> None:
    parser = _parser()
    for argv in (["status"], ["refresh"], ["doctor"], ["render", "x.png"], ["autostart", "status"], ["run"],
                 ["statusline"]):
        assert parser.parse_args([*argv, "--config-dir", "/x"]).config_dir == "/x", argv
    assert parser.parse_args(["status"]).config_dir is None


def test_help_and_readme_document_every_exit_code_including_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    readme = " ".join((ROOT / "README.md").read_text().split())
    for code in ExitCode:
        assert f"{int(code)} " in EXIT_CODES
    assert "1 failed otherwise" in shown
    assert "1 failed otherwise" in readme


def test_doctor_counts_warnings_apart_from_passes() -> None:
    checks = [Check(OK, "a"), Check(OK, "b"), Check(WARN, "c"), Check(WARN, "d"), Check(BAD, "e")]
    assert summary(checks) == "2 of 5 checks passed, 2 warnings, 1 failed."
    assert summary([Check(OK, "a"), Check(WARN, "b")]) == "1 of 2 checks passed, 1 warning."
    assert summary([Check(OK, "a")]) == "1 of 1 checks passed."


def test_the_no_menu_hint_names_the_packages_the_command_and_a_readme_section_that_exists(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import tray.desktop.backend as backend

    monkeypatch.setattr(backend, "_gi_namespaces", set)  # no PyGObject
    info = detect_backend({"DISPLAY": ":0"}, platform="linux")
    assert info.name == "xorg" and not info.has_menu and info.advice
    for needed in ("gir1.2-gtk-3.0", "gir1.2-ayatanaappindicator3-0.1", "libgirepository1.0-dev", "./scripts/run",
                   "pipx install --force '.[gtk]'"):
        assert needed in info.advice, needed
    section = info.advice.rsplit('"', 2)[-2]
    assert f"### {section}\n" in (ROOT / "README.md").read_text()


def test_autostart_enable_from_a_pip_install_draws_the_icon_its_entry_names(home: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    program = home / "venv" / "bin" / "claude-tray"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("XDG_DATA_DIRS", str(home / "no-system-icons"))  # no .deb's icon in /usr/share
    backend = get_backend("linux", env={"HOME": str(home)}, command=[str(program), "run"])
    backend.enable()
    entry = parse_desktop_entry(Path(backend.location).read_text())
    assert entry["Icon"] == ICON_NAME
    for size in SIZES:
        drawn = home / ".local" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        with Image.open(drawn) as image:
            assert image.size == (size, size) and image.getbbox() is not None


def test_autostart_names_no_icon_when_none_is_installed_and_none_can_be_drawn(home: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from tray.desktop.autostart.linux import XdgAutostart

    monkeypatch.setenv("XDG_DATA_DIRS", str(home / "no-system-icons"))
    backend = XdgAutostart(["/bin/true", "run"], config_home=home / ".config")  # no data home to draw into
    backend.enable()
    assert "Icon" not in parse_desktop_entry(Path(backend.location).read_text())


@pytest.mark.display
def test_the_appindicator_tray_starts_on_an_xembed_tray_without_a_gdk_critical_line(tmp_path: Path) -> None:
    import importlib.util
    import sys

    from tests.conftest import IN_CI, require_tool

    require_tool("Xvfb", "trayer", "dbus-daemon", "dunst")
    if importlib.util.find_spec("gi") is None:
        (pytest.fail if IN_CI else pytest.skip)("needs PyGObject (the gtk extra) for the appindicator backend")

    from tests.e2e.desktop import Desktop

    with Desktop() as desk:
        env = {**desk.env, "PYSTRAY_BACKEND": "appindicator", "CLAUDE_TRAY_API_URL": "http://127.0.0.1:9/unused"}
        tray_process = desk.spawn([sys.executable, "-m", "tray", "run"], env=env, lifetime=60)
        # the theme is read after the icon is embedded, which is when libayatana's fallback trips the assertion
        desk.wait_until(lambda: "panel theme" in desk.output(tray_process), 30, "the tray docked")
        output = desk.output(tray_process)
    assert "backend appindicator (menu)" in output
    assert "CRITICAL" not in output and "Traceback" not in output
