"""Launch at login: one contract every backend runs (after keyring's testing/backend.py), then specifics."""

from __future__ import annotations

import os
import plistlib
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tray.desktop.autostart import AutostartBackend, AutostartState, get_backend
from tray.desktop.autostart.command import launch_command
from tray.desktop.autostart.desktop_entry import parse_desktop_entry, quote_exec, split_exec
from tray.desktop.autostart.linux import XdgAutostart, desktop_entry_text
from tray.desktop.autostart.macos import LaunchAgent
from tray.desktop.autostart.unsupported import UnsupportedAutostart
from tray.desktop.autostart.windows import (
    APPROVED_KEY,
    RUN_KEY,
    RegistryValue,
    RunKeyAutostart,
    WinRegRegistry,
    command_line,
)
from tray.errors import AutostartError


class MemoryRegistry:
    """An in-memory HKCU for tests; key and value names are case-insensitive, as in the real one."""

    def __init__(self, values: dict[tuple[str, str], RegistryValue] | None = None) -> None:
        self.values: dict[tuple[str, str], RegistryValue] = {} if values is None else values

    def __repr__(self) -> str:
        return f"MemoryRegistry({self.values!r})"

    @staticmethod
    def _slot(key: str, name: str) -> tuple[str, str]:
        return key.casefold(), name.casefold()

    def get(self, key: str, name: str) -> RegistryValue | None:
        return self.values.get(self._slot(key, name))

    def set(self, key: str, name: str, value: str) -> None:
        self.values[self._slot(key, name)] = value

    def set_binary(self, key: str, name: str, value: bytes) -> None:
        """What Explorer does to StartupApproved when the user switches an entry off."""
        self.values[self._slot(key, name)] = value

    def delete(self, key: str, name: str) -> None:
        self.values.pop(self._slot(key, name), None)


@pytest.fixture
def program(home: Path) -> Path:
    """An installed `claude-tray` inside the temporary home (status checks that the program exists)."""
    path = home / "My Apps" / "bin" / "claude-tray"
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


class FakeLaunchctl:
    """Records every launchctl call; `loaded` is what `launchctl print` would report."""

    def __init__(self, disabled_output: str = "") -> None:
        self.calls: list[list[str]] = []
        self.loaded = False
        self.disabled_output = disabled_output

    def __call__(self, argv: Sequence[str]) -> tuple[int, str]:
        self.calls.append(list(argv))
        verb = argv[1]
        if verb == "print-disabled":
            return 0, self.disabled_output
        if verb == "print":
            return (0 if self.loaded else 113), ""
        if verb == "bootstrap":
            self.loaded = True
        if verb == "bootout":
            self.loaded = False
        return 0, ""

    def verbs(self) -> list[str]:
        return [call[1] for call in self.calls]


class AutostartContract:
    """What every backend promises. Subclasses provide `backend` and `snapshot` (what the system holds)."""

    @pytest.fixture
    def backend(self, home: Path, program: Path) -> AutostartBackend:
        raise NotImplementedError

    def snapshot(self, backend: AutostartBackend) -> object:
        raise NotImplementedError

    def test_a_fresh_home_starts_with_launch_at_login_off(self, backend: AutostartBackend) -> None:
        status = backend.status()
        assert status.state is AutostartState.DISABLED
        assert not status.enabled
        assert status.location == backend.location

    def test_enable_status_enable_disable_status_disable_round_trip(self, backend: AutostartBackend) -> None:
        assert backend.enable()
        assert backend.status().state is AutostartState.ENABLED
        written = self.snapshot(backend)
        assert written is not None

        assert "already on" in backend.enable()
        assert self.snapshot(backend) == written
        assert backend.status().enabled

        assert "off" in backend.disable()
        assert backend.status().state is AutostartState.DISABLED
        assert self.snapshot(backend) is None

        assert "already off" in backend.disable()
        assert backend.status().state is AutostartState.DISABLED

    def test_enable_says_what_it_registered(self, backend: AutostartBackend) -> None:
        message = backend.enable()
        assert backend.location in message
        assert "claude-tray" in message

    def test_backend_is_supported_and_named(self, backend: AutostartBackend) -> None:
        assert backend.supported
        assert backend.name


class TestXdgAutostart(AutostartContract):
    @pytest.fixture
    def backend(self, home: Path, program: Path) -> AutostartBackend:
        return get_backend("linux", env={"HOME": str(home)}, command=[str(program), "run"])

    def snapshot(self, backend: AutostartBackend) -> object:
        path = Path(backend.location)
        return (path.read_bytes(), path.stat().st_mtime_ns) if path.exists() else None


class TestLaunchAgent(AutostartContract):
    @pytest.fixture
    def launchctl(self) -> FakeLaunchctl:
        return FakeLaunchctl()

    @pytest.fixture
    def backend(self, home: Path, program: Path, launchctl: FakeLaunchctl) -> AutostartBackend:
        return get_backend("darwin", env={"HOME": str(home)}, command=[str(program), "run"], runner=launchctl)

    def snapshot(self, backend: AutostartBackend) -> object:
        path = Path(backend.location)
        return (path.read_bytes(), path.stat().st_mtime_ns) if path.exists() else None

    def test_nothing_is_loaded_or_unloaded_unless_asked(self, backend: AutostartBackend,
                                                       launchctl: FakeLaunchctl) -> None:
        backend.enable()
        backend.disable()
        assert not {"bootstrap", "bootout"} & set(launchctl.verbs())


class TestRunKeyInMemory(AutostartContract):
    @pytest.fixture
    def registry(self) -> MemoryRegistry:
        return MemoryRegistry()

    @pytest.fixture
    def backend(self, home: Path, program: Path, registry: MemoryRegistry) -> AutostartBackend:
        return get_backend("win32", env={"HOME": str(home)}, command=[str(program), "run"], registry=registry)

    def snapshot(self, backend: AutostartBackend) -> object:
        assert isinstance(backend, RunKeyAutostart)
        return backend.registry.get(RUN_KEY, backend.value_name)


@pytest.mark.skipif(sys.platform != "win32", reason="needs Windows")
class TestRunKeyInTheRealRegistry(TestRunKeyInMemory):
    @pytest.fixture
    def backend(self, home: Path, program: Path) -> Iterator[AutostartBackend]:  # type: ignore[override]
        # A value name of its own, so a developer's real entry is never touched.
        name = f"claude-usage-tray-test-{uuid.uuid4().hex[:8]}"
        registry = WinRegRegistry()
        backend = RunKeyAutostart([str(program), "run"], registry=registry, value_name=name)
        yield backend
        registry.delete(RUN_KEY, name)


# --- XDG specifics -------------------------------------------------------------------------------------

NASTY_ARGV = ["/opt/my apps/it's \"quoted\"/claude-tray", "run", "--config-dir",
              "/home/u/$HOME `id` \\back\\slash 100% ~#;&|<>*?()", ""]


def test_exec_round_trips_a_path_with_spaces_quotes_backslashes_dollars_and_percent() -> None:
    assert split_exec(quote_exec(NASTY_ARGV)) == NASTY_ARGV


def test_exec_leaves_plain_arguments_unquoted_so_users_can_read_them() -> None:
    assert quote_exec(["/usr/bin/claude-tray", "run"]) == "/usr/bin/claude-tray run"


def test_exec_refuses_a_program_with_an_equals_sign() -> None:
    with pytest.raises(ValueError, match="="):
        quote_exec(["/opt/a=b/claude-tray", "run"])


def test_the_written_entry_passes_desktop_file_validate(tmp_path: Path) -> None:
    require_tool("desktop-file-validate")
    backend = XdgAutostart(NASTY_ARGV, config_home=tmp_path)
    backend.enable()
    done = subprocess.run(["desktop-file-validate", backend.location], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "", done.stdout  # not even a hint or a warning


def test_the_written_entry_runs_exactly_the_command_and_skips_when_it_is_gone(tmp_path: Path) -> None:
    entries = parse_desktop_entry(desktop_entry_text(NASTY_ARGV))
    assert split_exec(entries["Exec"]) == NASTY_ARGV
    assert entries["TryExec"] == NASTY_ARGV[0]
    assert entries["X-GNOME-Autostart-Delay"] == "5"
    assert "Icon" not in entries  # only an installed icon is named (tests/test_reach.py)


def test_xdg_config_home_is_used_when_set_and_absolute(tmp_path: Path, home: Path) -> None:
    config = tmp_path / "cfg"
    assert get_backend("linux", env={"HOME": str(home), "XDG_CONFIG_HOME": str(config)}).location == str(
        config / "autostart" / "claude-usage-tray.desktop")
    assert get_backend("linux", env={"HOME": str(home), "XDG_CONFIG_HOME": "relative"}).location == str(
        home / ".config" / "autostart" / "claude-usage-tray.desktop")


@pytest.mark.parametrize("switch", ["Hidden=true", "X-GNOME-Autostart-enabled=false"])
def test_a_user_switch_off_is_reported_and_enable_does_not_undo_it(tmp_path: Path, program: Path,
                                                                  switch: str) -> None:
    backend = XdgAutostart([str(program), "run"], config_home=tmp_path)
    backend.enable()
    path = Path(backend.location)
    key = switch.split("=")[0]
    text = "".join(line for line in path.read_text().splitlines(keepends=True) if not line.startswith(key + "="))
    path.write_text(text + switch + "\n")
    before = path.read_bytes()

    status = backend.status()
    assert status.state is AutostartState.DISABLED_BY_USER
    assert switch in status.detail
    with pytest.raises(AutostartError, match="turn it back on there"):
        backend.enable()
    assert path.read_bytes() == before


def test_a_user_deleted_entry_reads_as_off_and_enable_writes_it_again(tmp_path: Path, program: Path) -> None:
    backend = XdgAutostart([str(program), "run"], config_home=tmp_path)
    backend.enable()
    Path(backend.location).unlink()
    assert backend.status().state is AutostartState.DISABLED
    backend.enable()
    assert backend.status().enabled


def test_disable_leaves_an_entry_the_user_wrote_by_hand(tmp_path: Path, program: Path) -> None:
    backend = XdgAutostart([str(program), "run"], config_home=tmp_path)
    path = Path(backend.location)
    path.parent.mkdir(parents=True)
    path.write_text(f"[Desktop Entry]\nType=Application\nName=Mine\nExec={program} run --mine\n")
    assert backend.status().enabled
    assert "did not write" in backend.status().detail
    with pytest.raises(AutostartError, match="not written by claude-tray"):
        backend.disable()
    assert "left as it is" in backend.enable()
    assert "--mine" in path.read_text()


def test_an_entry_whose_program_was_uninstalled_reads_as_off(tmp_path: Path, program: Path) -> None:
    backend = XdgAutostart([str(program), "run"], config_home=tmp_path)
    backend.enable()
    program.unlink()
    status = backend.status()
    assert status.state is AutostartState.DISABLED
    assert "no longer exists" in status.detail


def test_enable_updates_an_entry_written_for_an_older_install(tmp_path: Path, program: Path) -> None:
    XdgAutostart(["/old/place/claude-tray", "run"], config_home=tmp_path).enable()
    backend = XdgAutostart([str(program), "run"], config_home=tmp_path)
    assert "is on" in backend.enable()
    assert split_exec(parse_desktop_entry(Path(backend.location).read_text())["Exec"]) == [str(program), "run"]


# --- macOS specifics -----------------------------------------------------------------------------------

def test_the_plist_starts_at_load_and_never_keeps_alive_against_quit(home: Path, program: Path) -> None:
    backend = LaunchAgent([str(program), "run", "--config-dir", "/a b"], home=home, runner=FakeLaunchctl())
    backend.enable()
    assert backend.location == str(home / "Library" / "LaunchAgents" / "io.github.claude-usage-tray.plist")
    agent = plistlib.loads(Path(backend.location).read_bytes())
    assert agent["Label"] == "io.github.claude-usage-tray"
    assert agent["ProgramArguments"] == [str(program), "run", "--config-dir", "/a b"]
    assert agent["RunAtLoad"] is True
    assert "KeepAlive" not in agent
    assert agent["ProcessType"] == "Interactive"
    assert agent["LimitLoadToSessionType"] == "Aqua"


def test_load_now_bootstraps_once_and_boots_out_on_disable(home: Path, program: Path) -> None:
    launchctl = FakeLaunchctl()
    backend = LaunchAgent([str(program), "run"], home=home, runner=launchctl, uid=501, load_now=True)
    backend.enable()
    backend.enable()
    backend.disable()
    assert [c for c in launchctl.calls if c[1] in ("bootstrap", "bootout")] == [
        ["launchctl", "bootstrap", "gui/501", backend.location],
        ["launchctl", "bootout", "gui/501/io.github.claude-usage-tray"],
    ]


@pytest.mark.parametrize("word", ["disabled", "true"])
def test_a_login_item_switched_off_in_system_settings_is_respected(home: Path, program: Path, word: str) -> None:
    launchctl = FakeLaunchctl(f'disabled services = {{\n\t"io.github.claude-usage-tray" => {word}\n}}')
    backend = LaunchAgent([str(program), "run"], home=home, runner=launchctl)
    Path(backend.location).parent.mkdir(parents=True)
    Path(backend.location).write_bytes(plistlib.dumps({"Label": "io.github.claude-usage-tray",
                                                       "ProgramArguments": [str(program)]}))
    assert backend.status().state is AutostartState.DISABLED_BY_USER
    with pytest.raises(AutostartError, match="Login Items"):
        backend.enable()


# --- Windows specifics ---------------------------------------------------------------------------------

def test_a_startup_app_switched_off_in_task_manager_is_respected_and_never_undone(program: Path) -> None:
    registry = MemoryRegistry()
    backend = RunKeyAutostart([str(program), "run"], registry=registry)
    backend.enable()
    switched_off = bytes([0x03]) + bytes(11)
    registry.set_binary(APPROVED_KEY, "claude-usage-tray", switched_off)

    assert backend.status().state is AutostartState.DISABLED_BY_USER
    with pytest.raises(AutostartError, match="Task Manager"):
        backend.enable()
    backend.disable()
    assert registry.get(APPROVED_KEY, "claude-usage-tray") == switched_off


def test_a_startup_app_switched_back_on_reads_as_enabled(program: Path) -> None:
    registry = MemoryRegistry()
    backend = RunKeyAutostart([str(program), "run"], registry=registry)
    backend.enable()
    registry.set_binary(APPROVED_KEY, "claude-usage-tray", bytes([0x02]) + bytes(11))
    assert backend.status().enabled


def test_the_run_value_quotes_a_path_with_spaces() -> None:
    assert command_line([r"C:\Program Files\Claude Tray\claude-tray.exe", "run"]) == (
        r'"C:\Program Files\Claude Tray\claude-tray.exe" run')


# --- the command and the factory -----------------------------------------------------------------------

def test_a_frozen_build_registers_itself(tmp_path: Path) -> None:
    exe = "/opt/claude-tray/claude-tray"
    assert launch_command(["--config-dir", "/x"], executable=exe, frozen=True, temp_dir=str(tmp_path)) == (
        exe, "run", "--config-dir", "/x")


def test_a_venv_registers_its_claude_tray_script(tmp_path: Path) -> None:
    bindir = tmp_path / "venv" / "bin"
    bindir.mkdir(parents=True)
    (bindir / "claude-tray").write_text("#!/bin/sh\n")
    got = launch_command(executable=str(bindir / "python"), frozen=False, platform="linux",
                         temp_dir=str(tmp_path / "elsewhere"))
    assert got == (str(bindir / "claude-tray"), "run")


def test_without_a_script_python_dash_m_is_registered(tmp_path: Path) -> None:
    python = str(tmp_path / "python3")
    assert launch_command(executable=python, frozen=False, platform="linux", temp_dir=str(tmp_path / "t")) == (
        python, "-m", "tray", "run")


def test_windows_prefers_a_launcher_without_a_console_window(tmp_path: Path) -> None:
    (tmp_path / "pythonw.exe").write_text("")
    (tmp_path / "claude-tray.exe").write_text("")
    python = str(tmp_path / "python.exe")
    other_temp = str(tmp_path / "t")
    assert launch_command(executable=python, frozen=False, platform="win32", temp_dir=other_temp) == (
        str(tmp_path / "pythonw.exe"), "-m", "tray", "run")
    (tmp_path / "claude-tray-gui.exe").write_text("")
    assert launch_command(executable=python, frozen=False, platform="win32", temp_dir=other_temp) == (
        str(tmp_path / "claude-tray-gui.exe"), "run")


@pytest.mark.parametrize("where", ["temp", "build", "_MEI12345", "AppTranslocation"])
def test_a_temporary_or_build_path_is_never_registered(tmp_path: Path, where: str) -> None:
    exe = tmp_path / "x" / where / "claude-tray" if where != "temp" else tmp_path / "claude-tray"
    with pytest.raises(AutostartError, match="temporary or build folder"):
        launch_command(executable=str(exe), frozen=True, temp_dir=str(tmp_path) if where == "temp" else "/nowhere")


def test_status_works_even_when_the_command_cannot_be_found(home: Path, tmp_path: Path) -> None:
    backend = get_backend("linux", env={"HOME": str(home)}, command=lambda: launch_command(
        executable=str(tmp_path / "claude-tray"), frozen=True, temp_dir=str(tmp_path)))
    assert backend.status().state is AutostartState.DISABLED
    with pytest.raises(AutostartError):
        backend.enable()


def test_each_instance_gets_its_own_entry(home: Path, program: Path) -> None:
    env = {"HOME": str(home)}
    work = get_backend("linux", env=env, instance="work", command=[str(program), "run", "--config-dir", "/w"])
    assert work.location.endswith("claude-usage-tray-work.desktop")
    assert get_backend("darwin", env=env, instance="work").location.endswith("io.github.claude-usage-tray.work.plist")
    assert get_backend("win32", env=env, instance="work", registry=MemoryRegistry()).location.endswith(
        "claude-usage-tray-work")


@pytest.mark.parametrize(("platform", "name"), [("linux", "xdg-autostart"), ("freebsd13", "xdg-autostart"),
                                                 ("darwin", "launchd"), ("win32", "windows-run-key"),
                                                 ("emscripten", "unsupported")])
def test_the_backend_is_chosen_by_platform(home: Path, platform: str, name: str) -> None:
    assert get_backend(platform, env={"HOME": str(home)}).name == name


def test_unsupported_says_what_to_do_by_hand(program: Path) -> None:
    backend = UnsupportedAutostart("emscripten", [str(program), "run"])
    assert not backend.supported
    status = backend.status()
    assert status.state is AutostartState.UNSUPPORTED
    assert f"add `{shlex.join([str(program), 'run'])}`" in status.detail
    with pytest.raises(AutostartError, match="startup programs by hand"):
        backend.enable()
    with pytest.raises(AutostartError, match="remove it there"):
        backend.disable()


def test_importing_the_package_loads_no_platform_backend() -> None:
    code = ("import sys, tray.desktop.autostart; "
            "print(sorted(m for m in sys.modules if m.startswith('tray.desktop.autostart.') or m == 'winreg'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1], env={**os.environ, "PYTHONPATH": "."})
    assert done.stdout.strip() == "['tray.desktop.autostart.base']"


def test_glib_reads_the_exec_line_back_into_the_same_argv(tmp_path: Path) -> None:
    # GLib is what GNOME's session and most panels use to launch entries: an independent parser.
    glib = pytest.importorskip("gi.repository.GLib")
    path = tmp_path / "entry.desktop"
    path.write_text(desktop_entry_text(NASTY_ARGV))
    keyfile = glib.KeyFile()
    keyfile.load_from_file(str(path), glib.KeyFileFlags.NONE)
    # GLib expands field codes (%% -> %) on the unescaped string, then splits it like a shell.
    exec_line = keyfile.get_string("Desktop Entry", "Exec").replace("%%", "%")
    ok, argv = glib.shell_parse_argv(exec_line)
    assert ok and argv == NASTY_ARGV
    assert keyfile.get_string("Desktop Entry", "TryExec") == NASTY_ARGV[0]


def test_paths_may_come_as_text_or_path_and_the_entry_is_the_same(home: Path, program: Path) -> None:
    as_text = get_backend("linux", env={}, home=str(home), command=[str(program), "run"])
    as_path = get_backend("linux", env={}, home=home, command=[str(program), "run"])
    assert as_text.location == as_path.location == str(home / ".config" / "autostart" / "claude-usage-tray.desktop")
    assert isinstance(as_text, XdgAutostart)
    agent = LaunchAgent([str(program), "run"], home=str(home), runner=FakeLaunchctl())
    assert agent.location == str(home / "Library" / "LaunchAgents" / "io.github.claude-usage-tray.plist")


def test_a_binary_plist_reads_as_on(home: Path, program: Path) -> None:
    # launchd and `plutil -convert binary1` leave binary plists; they are not text.
    backend = LaunchAgent([str(program), "run"], home=home, runner=FakeLaunchctl())
    path = Path(backend.location)
    path.parent.mkdir(parents=True)
    path.write_bytes(plistlib.dumps({"Label": "io.github.claude-usage-tray", "ProgramArguments": [str(program)]},
                                    fmt=plistlib.FMT_BINARY))
    assert backend.status().enabled
    assert "already on" not in backend.enable()  # rewritten as ours, in the XML form enable writes
    assert backend.status().enabled


# --- which entry a tray's config dir gets (tray/desktop/autostart: config_instance) ----------------------------

def test_the_default_config_dir_spelled_differently_keeps_the_plain_entry(home: Path) -> None:
    from tray.desktop.autostart import config_instance

    for spelled in (str(home / ".claude"), str(home / ".claude") + "/", str(home) + "//.claude", "~/.claude"):
        env = {"HOME": str(home), "CLAUDE_CONFIG_DIR": spelled}
        if spelled.startswith("~"):  # expanded from this process's HOME, as the tray does
            env["HOME"] = os.path.expanduser("~")
        assert config_instance(env) == ("", ()), spelled


def test_another_config_dir_is_registered_by_its_absolute_path_under_its_own_name(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tray.desktop.autostart import config_instance

    monkeypatch.chdir(tmp_path)
    assert config_instance({"HOME": str(home), "CLAUDE_CONFIG_DIR": "Work Account/"}) == (
        "Work-Account", ("--config-dir", str(tmp_path / "Work Account")))
    name, args = config_instance({"HOME": str(home), "CLAUDE_CONFIG_DIR": str(tmp_path / "проект")})
    assert name.startswith("config-") and args == ("--config-dir", str(tmp_path / "проект"))
    again, _ = config_instance({"HOME": str(home), "CLAUDE_CONFIG_DIR": str(tmp_path / "проект") + "/"})
    assert again == name  # a stable name: the same folder always finds the same entry
