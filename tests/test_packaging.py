"""Packaging: the .deb builds, lints clean, and its program runs from the package's own tree.

Nothing here changes the host system: the .deb is unpacked with `dpkg-deb -x` into a temporary root and run
from there (never `dpkg -i`). packaging/build-deb.sh keeps its PyInstaller build (2–4 minutes) under a hash
of the inputs in build/pyinstaller/ and reuses it while they are unchanged, so a rerun costs seconds.
lintian's and appstreamcli's reports are printed (`pytest -s` or the failure shows them) and written to
test-artifacts/.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

import tray
from tests.conftest import IN_CI, ROOT, require_tool
from tray.desktop.autostart.desktop_entry import parse_desktop_entry

pytestmark = pytest.mark.slow

APP_ID = "io.github.claude_tray.claude_tray"
ARTIFACTS = ROOT / "test-artifacts"
# A deadline so a wedged build cannot hang the suite; not a timing assertion.
BUILD_DEADLINE = 900


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("timeout", 120)
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


def _arch() -> str:
    return _run(["dpkg", "--print-architecture"]).stdout.strip()


def _report(capsys: pytest.CaptureFixture[str], name: str, text: str, shown: str) -> None:
    """`shown` into the test log even when pytest captures output, all of `text` into test-artifacts/: a clean
    lint is shown, not just asserted."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_text(text)
    with capsys.disabled():
        print(f"\n--- {name} (all of it in test-artifacts/{name}) ---\n{shown.rstrip()}")


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("dpkg-deb", "dpkg-shlibdeps", "patchelf", "strip")
    for module in ("PyInstaller", "argparse_manpage", "shtab"):
        if importlib.util.find_spec(module) is None:
            _skip_or_fail(f"needs {module} in {sys.executable} (the test extra installs it)")
    out = tmp_path_factory.mktemp("deb")
    # gzip -1: xz (the release default) spends a minute compressing what the test unpacks at once
    env = {**os.environ, "PYTHON": sys.executable, "OUT_DIR": str(out), "DEB_COMPRESS": "-Zgzip -z1"}
    done = _run([str(ROOT / "packaging" / "build-deb.sh")], env=env, timeout=BUILD_DEADLINE)
    assert done.returncode == 0, done.stderr[-4000:]
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.name == f"claude-tray_{tray.__version__}-1_{_arch()}.deb"
    return path


@pytest.fixture(scope="module")
def root(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's files as `dpkg -i` would lay them out, under a temporary folder."""
    root = tmp_path_factory.mktemp("root")
    done = _run(["dpkg-deb", "-x", str(deb), str(root)])
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def user_home(tmp_path: Path) -> dict[str, str]:
    """An environment for the packaged program: an empty HOME, an empty TMPDIR, none of our variables."""
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "XDG_", "PYTHON"))}
    env.update(HOME=str(home), TMPDIR=str(temp), PATH="/usr/bin:/bin")
    return env


def test_the_deb_holds_the_program_its_menu_entry_metainfo_manual_completions_and_every_icon(deb: Path) -> None:
    listing = _run(["dpkg-deb", "-c", str(deb)]).stdout
    for path in ("./usr/bin/claude-tray -> ../lib/claude-tray/claude-tray", "./usr/lib/claude-tray/claude-tray",
                 "./usr/lib/claude-tray/_internal/", f"./usr/share/applications/{APP_ID}.desktop",
                 f"./usr/share/metainfo/{APP_ID}.metainfo.xml", "./usr/share/man/man1/claude-tray.1.gz",
                 "./usr/share/bash-completion/completions/claude-tray",
                 "./usr/share/zsh/vendor-completions/_claude-tray",
                 "./usr/share/doc/claude-tray/copyright", "./usr/share/doc/claude-tray/changelog.Debian.gz",
                 "./usr/share/doc/claude-tray/changelog.gz", "./usr/share/lintian/overrides/claude-tray"):
        assert path in listing, path
    for png in sorted((ROOT / "icons").glob("claude-tray-*.png")):
        size = png.stem.rsplit("-", 1)[1]
        assert f"./usr/share/icons/hicolor/{size}x{size}/apps/claude-tray.png" in listing
    assert "root/root" in listing and "/home/" not in listing


def test_the_deb_is_named_claude_tray_depends_on_debian_libraries_and_has_no_maintainer_scripts(deb: Path) -> None:
    fields = _run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Depends", "Homepage"]).stdout
    assert "Package: claude-tray\n" in fields
    assert f"Version: {tray.__version__}-1" in fields
    depends = fields.split("Depends:", 1)[1].split("\n", 1)[0]
    # GTK, Ayatana and Tk come from Debian (security updates), the interpreter is inside
    for package in ("libc6", "libgtk-3-0", "libayatana-appindicator3-1", "libtk8.6"):
        assert package in depends, package
    assert "python" not in depends
    info = _run(["dpkg-deb", "-I", str(deb)]).stdout
    assert not {"postinst", "preinst", "postrm", "prerm"} & set(info.split())


def test_lintian_finds_no_error_or_warning_that_is_not_overridden_with_a_reason(
        deb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("lintian")
    done = _run(["lintian", "--info", "--show-overrides", str(deb)], timeout=600)
    tags = [line for line in done.stdout.splitlines() if line[:2] in ("E:", "W:", "I:", "O:", "P:", "X:")]
    counts = {kind: sum(line.startswith(kind) for line in tags) for kind in ("E:", "W:", "O:")}
    summary = (f"lintian {deb.name}: {counts['E:']} errors, {counts['W:']} warnings, {counts['O:']} overridden "
               "(each override's reason: packaging/linux/lintian-overrides)")
    _report(capsys, "lintian.txt", done.stdout + done.stderr, "\n".join([*tags, summary]))
    complaints = [line for line in done.stdout.splitlines() if line.startswith(("E:", "W:"))]
    assert complaints == []
    overrides = (ROOT / "packaging" / "linux" / "lintian-overrides").read_text().split("\n\n")
    for block in overrides[1:]:  # after the header, every override comes under its reason
        assert block.lstrip().startswith("#"), block


def test_the_metainfo_passes_appstream_validation_and_the_menu_entry_is_valid(
        root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("appstreamcli", "desktop-file-validate")
    metainfo = root / "usr" / "share" / "metainfo" / f"{APP_ID}.metainfo.xml"
    done = _run(["appstreamcli", "validate", "--no-net", "--pedantic", str(metainfo)])
    _report(capsys, "appstream.txt", done.stdout + done.stderr, done.stdout + done.stderr)
    assert done.returncode == 0 and "Validation was successful" in done.stdout, done.stdout
    desktop = root / "usr" / "share" / "applications" / f"{APP_ID}.desktop"
    checked = _run(["desktop-file-validate", str(desktop)])
    assert checked.returncode == 0, checked.stdout
    entry = parse_desktop_entry(desktop.read_text())
    assert entry["Name"] == "Claude Usage Tray"
    assert (root / "usr" / "bin" / entry["TryExec"]).exists()
    assert (root / "usr" / "share" / "icons" / "hicolor" / "48x48" / "apps" / f"{entry['Icon']}.png").is_file()


def test_the_manual_page_and_completions_know_every_command(root: Path) -> None:
    page = gzip.decompress((root / "usr" / "share" / "man" / "man1" / "claude-tray.1.gz").read_bytes()).decode()
    bash = (root / "usr" / "share" / "bash-completion" / "completions" / "claude-tray").read_text()
    zsh = (root / "usr" / "share" / "zsh" / "vendor-completions" / "_claude-tray").read_text()
    assert page.startswith(".TH CLAUDE\\-TRAY \"1\"") and "Exit codes" in page
    assert zsh.startswith("#compdef claude-tray")
    for command in ("run", "status", "refresh", "statusline", "doctor", "autostart", "render"):
        assert f"claude\\-tray\\fR \\fI\\,{command}" in page, command
        assert command in bash and command in zsh
    if shutil.which("man"):
        shown = _run(["man", "-l", str(root / "usr" / "share" / "man" / "man1" / "claude-tray.1.gz")],
                     env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "80"})
        assert shown.returncode == 0 and "claude-tray statusline" in shown.stdout


def test_the_program_is_one_directory_with_every_linux_tray_backend_and_tk(root: Path) -> None:
    # Without GTK and Ayatana, pystray falls back to xorg, which has no menu at all (TRAY-TESTING.md); without
    # Tcl/Tk's data files "Show debug error" shows nothing.
    program = root / "usr" / "lib" / "claude-tray" / "claude-tray"
    internal = program.parent / "_internal"
    listing = _run([sys.executable, "-m", "PyInstaller.utils.cliutils.archive_viewer", "--recursive", "--brief",
                    str(program)]).stdout
    for name in ("pystray._xorg", "pystray._gtk", "pystray._appindicator", "tray.desktop.autostart.linux",
                 "tkinter"):
        assert name in listing, name
    for path in ("gi_typelibs/Gtk-3.0.typelib", "gi_typelibs/AyatanaAppIndicator3-0.1.typelib",
                 "_tcl_data/init.tcl", "_tk_data/tk.tcl"):
        assert (internal / path).is_file(), path


def test_the_packaged_program_prints_its_version_and_leaves_nothing_in_tmpdir(root: Path,
                                                                             user_home: dict[str, str]) -> None:
    done = _run([str(root / "usr" / "bin" / "claude-tray"), "--version"], env=user_home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"claude-tray {tray.__version__}"
    statusline = _run([str(root / "usr" / "bin" / "claude-tray"), "statusline"], env=user_home, input="{}")
    assert statusline.returncode == 0, statusline.stderr
    # killed while it runs (Claude Code stops a status line that takes too long): still nothing left behind
    waiting = subprocess.Popen([str(root / "usr" / "bin" / "claude-tray"), "statusline"], env=user_home,
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    waiting.stdin.write(b"{")  # type: ignore[union-attr]  # half a JSON document: it waits for the rest
    waiting.stdin.flush()  # type: ignore[union-attr]
    maps = Path(f"/proc/{waiting.pid}/maps")
    deadline = time.monotonic() + 30  # until the interpreter runs (a one-file build would have unpacked by then)
    while "libpython" not in (maps.read_text() if maps.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.02)
    waiting.kill()
    waiting.wait(10)
    assert list(Path(user_home["TMPDIR"]).iterdir()) == []  # a one-file build unpacked ~190 MiB here each run
    loaders = (root / "usr" / "lib" / "claude-tray" / "_internal" / "lib" / "gdk-pixbuf" / "loaders.cache").read_text()
    assert "@executable_path" not in loaders and '"/usr/lib/claude-tray/_internal/lib/' in loaders


def test_status_from_the_package_shows_the_cached_reading(root: Path, user_home: dict[str, str],
                                                          fixtures: Path) -> None:
    cache = Path(user_home["HOME"]) / ".claude" / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(parents=True)
    shutil.copy(fixtures / "cache" / "oh_my_claude.json", cache)
    done = _run([str(root / "usr" / "bin" / "claude-tray"), "status"], env=user_home)
    assert done.returncode == 0, done.stderr
    assert "5-hour" in done.stdout and "7-day" in done.stdout and "(source: oh-my-claude)" in done.stdout


def test_status_from_the_package_without_a_cache_says_so_in_a_sentence(root: Path,
                                                                        user_home: dict[str, str]) -> None:
    done = _run([str(root / "usr" / "bin" / "claude-tray"), "status"], env=user_home)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in output
    assert "claude" in output and len(output.strip().splitlines()) <= 3


def test_render_from_the_package_draws_an_icon_of_the_asked_size(root: Path, user_home: dict[str, str],
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "ring.png"
    done = _run([str(root / "usr" / "bin" / "claude-tray"), "render", str(out), "--five-hour", "95",
                 "--seven-day", "40", "--size", "32"], env=user_home)
    assert done.returncode == 0, done.stderr
    with Image.open(out) as image:
        assert image.size == (32, 32)
        assert image.getbbox() is not None  # something was drawn


@pytest.mark.display
def test_the_packaged_tray_docks_with_its_gtk_menu_and_shows_the_debug_window(root: Path) -> None:
    require_tool("Xvfb", "trayer", "dbus-daemon", "dunst", "xdotool")
    from tests.e2e.desktop import Desktop

    program = str(root / "usr" / "bin" / "claude-tray")
    with Desktop() as desk:
        env = {**desk.env, "PYSTRAY_BACKEND": "gtk", "CLAUDE_TRAY_API_URL": "http://127.0.0.1:9/unused",
               "PATH": "/usr/bin:/bin"}
        tray_process = desk.spawn([program, "run"], env=env, lifetime=60)
        desk.wait_until(lambda: "backend gtk (menu)" in desk.output(tray_process), 30, "the gtk backend starting")
        assert "Traceback" not in desk.output(tray_process)

        title = "claude-tray debug test"
        viewer = subprocess.Popen([program, "_debug-view", title], env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert viewer.stdin is not None
            viewer.stdin.write("HTTP 429 at 12:00\n")
            viewer.stdin.close()

            def window() -> bool:
                found = _run(["xdotool", "search", "--name", title], env=env, timeout=10)
                return found.returncode == 0 and bool(found.stdout.strip())

            desk.wait_until(lambda: window() or viewer.poll() is not None, 30, "the Tk window")
            assert viewer.poll() is None, viewer.stderr.read() if viewer.stderr else "the viewer ended"
        finally:
            viewer.kill()
            viewer.wait(10)


def test_the_benchmark_row_times_the_packaged_statusline_against_the_venvs(deb: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import deb_statusline
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    (figure,) = deb_statusline.measure(repeats=2, warmup=0, deb=deb)  # the numbers are the benchmark's to judge
    assert figure.id == "deb_statusline" and figure.target == "<= 1.5x"
    assert figure.subject.n == figure.baseline.n == 2 and figure.ratio is not None  # type: ignore[union-attr]
