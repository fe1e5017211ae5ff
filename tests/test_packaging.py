"""Packaging: the .deb builds, installs, runs and uninstalls; `pip install` gives a working `claude-tray`.

The .deb build runs PyInstaller (about two to three minutes); installing needs root, so it is skipped
on a laptop and fails in CI when not root.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

import tray
from tests.conftest import IN_CI, ROOT, require_tool
from tray.desktop.autostart.desktop_entry import parse_desktop_entry, split_exec

pytestmark = pytest.mark.slow

INSTALLED = Path("/usr/bin/claude-tray")
DESKTOP_ENTRY = Path("/usr/share/applications/claude-usage-tray.desktop")
# A deadline so a wedged build cannot hang the suite; not a timing assertion.
BUILD_DEADLINE = 900


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("dpkg-deb")
    if importlib.util.find_spec("PyInstaller") is None:
        _skip_or_fail(f"needs PyInstaller in {sys.executable} (pip install pyinstaller)")
    out = tmp_path_factory.mktemp("deb")
    env = {**os.environ, "PYTHON": sys.executable, "OUT_DIR": str(out)}
    done = subprocess.run([str(ROOT / "packaging" / "build-deb.sh")], capture_output=True, text=True,
                          env=env, timeout=BUILD_DEADLINE, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.name == f"claude-usage-tray_{tray.__version__}_{_arch()}.deb"
    return path


def _arch() -> str:
    return _run(["dpkg", "--print-architecture"]).stdout.strip()


@pytest.fixture(scope="module")
def installed(deb: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        _skip_or_fail("installing a .deb needs root")
    require_tool("dpkg")
    if _run(["dpkg-query", "-W", "-f=${Status}", "claude-usage-tray"]).stdout.startswith("install ok"):
        pytest.skip("claude-usage-tray is already installed on this machine; not touching it")
    done = _run(["dpkg", "-i", str(deb)])
    assert done.returncode == 0, done.stderr
    yield INSTALLED
    removed = _run(["dpkg", "-r", "claude-usage-tray"])
    assert removed.returncode == 0, removed.stderr


@pytest.fixture
def user_home(tmp_path: Path) -> dict[str, str]:
    """An environment for the installed program: an empty HOME and none of our variables."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "XDG_"))}
    env["HOME"] = str(home)
    return env


def test_the_deb_holds_the_program_the_menu_entry_and_every_icon_size(deb: Path) -> None:
    listing = _run(["dpkg-deb", "-c", str(deb)]).stdout
    assert "./usr/bin/claude-tray" in listing
    assert "./usr/share/applications/claude-usage-tray.desktop" in listing
    for png in sorted((ROOT / "icons").glob("claude-tray-*.png")):
        size = png.stem.rsplit("-", 1)[1]
        assert f"./usr/share/icons/hicolor/{size}x{size}/apps/claude-usage-tray.png" in listing
    assert "root/root" in listing and "/home/" not in listing


def test_the_deb_control_has_our_version_light_depends_and_no_maintainer_scripts(deb: Path) -> None:
    fields = _run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Depends"]).stdout
    assert "Package: claude-usage-tray" in fields
    assert f"Version: {tray.__version__}" in fields
    depends = fields.split("Depends:", 1)[1].strip()
    assert depends.startswith("libc6") and "python" not in depends and "gtk" not in depends
    info = _run(["dpkg-deb", "-I", str(deb)]).stdout
    assert not {"postinst", "preinst", "postrm", "prerm"} & set(info.split())


def test_the_program_carries_every_linux_tray_backend_and_its_libraries(deb: Path, tmp_path: Path) -> None:
    # Without GTK and Ayatana inside, pystray falls back to xorg, which has no menu at all (TRAY-TESTING.md).
    _run(["dpkg-deb", "-x", str(deb), str(tmp_path)])
    listing = _run([sys.executable, "-m", "PyInstaller.utils.cliutils.archive_viewer", "--recursive", "--brief",
                    str(tmp_path / "usr" / "bin" / "claude-tray")]).stdout
    for name in ("pystray._xorg", "pystray._gtk", "pystray._appindicator", "tray.desktop.autostart.linux",
                 "gi_typelibs/Gtk-3.0.typelib", "gi_typelibs/AyatanaAppIndicator3-0.1.typelib",
                 "libayatana-appindicator3.so.1"):
        assert name in listing, name


def test_the_installed_program_prints_its_version(installed: Path) -> None:
    done = _run([str(installed), "--version"])
    assert done.returncode == 0
    assert done.stdout.strip() == f"claude-tray {tray.__version__}"


def test_status_shows_the_cached_reading(installed: Path, user_home: dict[str, str], fixtures: Path) -> None:
    cache = Path(user_home["HOME"]) / ".claude" / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(parents=True)
    shutil.copy(fixtures / "cache" / "oh_my_claude.json", cache)
    done = _run([str(installed), "status"], env=user_home)
    assert done.returncode == 0, done.stderr
    assert "47%" in done.stdout and "21%" in done.stdout


def test_status_without_a_cache_says_so_in_a_sentence(installed: Path, user_home: dict[str, str]) -> None:
    done = _run([str(installed), "status"], env=user_home)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in output
    assert "claude" in output and len(output.strip().splitlines()) <= 3


def test_render_draws_an_icon_of_the_asked_size(installed: Path, user_home: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ring.png"
    done = _run([str(installed), "render", str(out), "--five-hour", "95", "--seven-day", "40", "--size", "32"],
                env=user_home)
    assert done.returncode == 0, done.stderr
    with Image.open(out) as image:
        assert image.size == (32, 32)
        assert image.getbbox() is not None  # something was drawn


def test_the_installed_menu_entry_is_valid_and_finds_its_program_and_icon(installed: Path) -> None:
    require_tool("desktop-file-validate")
    done = _run(["desktop-file-validate", str(DESKTOP_ENTRY)])
    assert done.returncode == 0, done.stdout
    entry = parse_desktop_entry(DESKTOP_ENTRY.read_text())
    # the PATH a desktop session has (the test runner's own PATH starts with the venv's claude-tray)
    assert shutil.which(entry["TryExec"], path="/usr/local/bin:/usr/bin:/bin") == str(installed)
    assert Path(f"/usr/share/icons/hicolor/48x48/apps/{entry['Icon']}.png").is_file()


def test_autostart_from_the_installed_program_registers_usr_bin(installed: Path, user_home: dict[str, str]) -> None:
    done = _run([str(installed), "autostart", "enable"], env=user_home)
    assert done.returncode == 0, done.stderr
    entry_path = Path(user_home["HOME"]) / ".config" / "autostart" / "claude-usage-tray.desktop"
    assert split_exec(parse_desktop_entry(entry_path.read_text())["Exec"]) == [str(installed), "run"]
    assert _run([str(installed), "autostart", "disable"], env=user_home).returncode == 0
    assert not entry_path.exists()


def _can_build_wheels() -> bool:
    # setuptools >= 70.1 builds wheels itself; older ones need the `wheel` package.
    return any(importlib.util.find_spec(m) is not None for m in ("wheel", "setuptools.command.bdist_wheel"))


def test_pip_install_into_a_fresh_venv_gives_a_working_claude_tray(tmp_path: Path) -> None:
    """What `pipx install .` does: build a wheel, install it into a venv of its own, expose the script."""
    if not _can_build_wheels():
        _skip_or_fail(f"needs `wheel` (or setuptools >= 70.1) in {sys.executable} to build offline")
    # A copy of the sources: an in-tree setuptools build would leave build/ and *.egg-info in the checkout.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "tray", source / "tray", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    quiet = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # Offline and quick: no index, no dependencies, this interpreter's setuptools as the build backend.
    built = _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-index", "--no-deps", "--no-build-isolation",
                  "--wheel-dir", str(tmp_path / "wheels"), str(source)], env=quiet)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "wheels").glob("claude_usage_tray-*.whl"))

    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    done = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-index",
                 "--no-deps", str(wheel)], env=quiet)
    assert done.returncode == 0, done.stderr[-3000:]

    script = venv / "bin" / "claude-tray"
    assert script.is_file()
    # --version needs nothing beyond the standard library, so it runs without the dependencies.
    version = _run([str(script), "--version"], cwd=tmp_path)
    assert version.stdout.strip() == f"claude-tray {tray.__version__}", version.stderr
    located = _run([str(python), "-c", "import tray; print(tray.__file__)"], cwd=tmp_path).stdout
    assert located.startswith(str(venv))  # a real copy, not the checkout
    assert (Path(located).parent / "py.typed").is_file()
    registered = _run([str(python), "-c", "from tray.desktop.autostart.command import launch_command; "
                       "print(launch_command(temp_dir='/nonexistent')[0])"], cwd=tmp_path).stdout.strip()
    assert registered == str(script)  # launch at login points at this install's script


def test_pipx_install_gives_a_claude_tray_with_its_dependencies(tmp_path: Path, fixtures: Path) -> None:
    """`pipx install .` for real: its own venv, the dependencies from the package index, the command on PATH."""
    if importlib.util.find_spec("pipx") is None:
        _skip_or_fail(f"needs pipx in {sys.executable} (the test extra installs it)")
    source = tmp_path / "source"
    shutil.copytree(ROOT / "tray", source / "tray", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    env = {**os.environ, "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin"),
           "PIPX_MAN_DIR": str(tmp_path / "man"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([sys.executable, "-m", "pipx", "install", str(source)], capture_output=True, text=True,
                          timeout=600, env=env, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    command = tmp_path / "bin" / "claude-tray"
    home = tmp_path / "home"
    cache = home / ".claude" / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(parents=True)
    cache.write_text((fixtures / "cache" / "oh_my_claude.json").read_text())
    user = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    status = _run([str(command), "status"], env=user, cwd=tmp_path)
    assert "47%" in status.stdout and "21%" in status.stdout, status.stderr
    drawn = _run([str(command), "render", str(tmp_path / "ring.png"), "--size", "24"], env=user, cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr  # Pillow came with it
    with Image.open(tmp_path / "ring.png") as image:
        assert image.size == (24, 24)
