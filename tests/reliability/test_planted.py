"""What a local attacker plants beside the cache or the credentials is never followed, and never hangs us:
symbolic links, FIFOs, devices, someone else's files, a folder everyone can write, a lock held forever
(SPEC §8). Every case is a real file on disk and, where a user would meet it, a real command.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.reliability.conftest import cache_of, tray_env
from tray import statusline
from tray.desktop.edges import InstanceLock
from tray.doctor import BAD, collect_checks
from tray.errors import CacheError, CredentialsError
from tray.sources.credentials import read_credentials
from tray.store import cache
from tray.store.lock import FileLock
from tray.store.paths import lock_path_str, tray_lock_path_str

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
STDIN = '{"rate_limits": {"five_hour": {"used_percentage": 23}, "seven_day": {"used_percentage": 41}}}'
BASHRC = b"# the user's own shell setup\nalias ll='ls -l'\n"
OTHER_UID = 54321


def status_line(path: Path, stdin: str = STDIN) -> str:
    out = io.StringIO()
    assert statusline.main(io.StringIO(stdin), out, {"CLAUDE_TRAY_CACHE": str(path)}, NOW) == 0
    return out.getvalue()


def cli(*args: str, env: dict[str, str], stdin: str = "", timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tray", *args], input=stdin, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    where = tmp_path / "cache-folder"
    where.mkdir(mode=0o700)
    return where


@pytest.fixture
def bashrc(tmp_path: Path) -> Path:
    target = tmp_path / "home" / ".bashrc"
    target.parent.mkdir()
    target.write_bytes(BASHRC)
    target.chmod(0o644)
    return target


@pytest.mark.parametrize("folder_mode", [0o700, 0o777], ids=["private folder", "folder everyone can write"])
def test_a_cache_planted_as_a_link_to_bashrc_leaves_bashrc_untouched(
    folder: Path, bashrc: Path, folder_mode: int
) -> None:
    folder.chmod(folder_mode)
    planted = folder / ".usage_cache"
    planted.symlink_to(bashrc)
    line = status_line(planted)
    assert line == "5h:23% 7d:41%\n"  # the prompt still shows what Claude Code sent
    assert bashrc.read_bytes() == BASHRC
    assert stat.S_IMODE(bashrc.stat().st_mode) == 0o644
    assert planted.is_symlink()
    with pytest.raises(CacheError, match="symbolic link" if folder_mode == 0o700 else "every user"):
        cache.update_cache(planted, lambda current: {"pro": None})
    assert bashrc.read_bytes() == BASHRC


def test_a_cache_link_is_read_as_no_data(folder: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"pro": {"five_hour_pct": 99, "seven_day_pct": 99}}')
    (folder / ".usage_cache").symlink_to(elsewhere)
    assert cache.read_cache(folder / ".usage_cache") == {}


def test_a_device_where_the_cache_should_be_stays_a_device(folder: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    device = folder / ".usage_cache"
    os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers
    assert status_line(device) == "5h:23% 7d:41%\n"
    assert stat.S_ISCHR(device.lstat().st_mode)
    with pytest.raises(CacheError, match="device"):
        cache.update_cache(device, lambda current: {"pro": None})


def test_a_cache_that_belongs_to_someone_else_is_neither_read_nor_replaced(folder: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    theirs = folder / ".usage_cache"
    theirs.write_text('{"pro": {"five_hour_pct": 99, "seven_day_pct": 99}, "updated_at": "2026-11-30T12:00:00Z"}')
    os.chown(theirs, OTHER_UID, OTHER_UID)
    assert cache.read_cache(theirs) == {}
    with pytest.raises(CacheError, match="another user"):
        cache.update_cache(theirs, lambda current: {"pro": None})
    assert theirs.stat().st_uid == OTHER_UID


def test_a_lock_planted_as_a_link_creates_nothing_where_it_points(folder: Path, tmp_path: Path) -> None:
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    target = ssh / "authorized_keys"
    path = folder / ".usage_cache"
    Path(lock_path_str(path)).symlink_to(target)
    cache.update_cache(path, lambda current: {"pro": None})  # the write goes ahead with a lock of its own
    assert not target.exists()
    assert json.loads(path.read_text())["pro"] is None
    assert Path(lock_path_str(path)).is_file() and not Path(lock_path_str(path)).is_symlink()


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A file another process holds an exclusive flock on until the test ends."""
    target = tmp_path / "held-by-someone"
    target.touch()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys; f = open(sys.argv[1], 'rb'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True);"
         " sys.stdin.read()", str(target)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield target
    finally:
        holder.communicate("", timeout=10)


def test_a_lock_linked_to_a_file_someone_holds_does_not_stop_writes(folder: Path, held: Path) -> None:
    path = folder / ".usage_cache"
    Path(lock_path_str(path)).symlink_to(held)
    cache.update_cache(path, lambda current: {"pro": None}, lock_timeout=0.5)
    assert json.loads(path.read_text())["pro"] is None


def test_an_instance_lock_linked_to_a_file_someone_holds_does_not_stop_the_tray(folder: Path, held: Path) -> None:
    path = folder / ".usage_cache"
    Path(tray_lock_path_str(path)).symlink_to(held)
    assert InstanceLock(path).acquire()  # not "already running"
    assert not Path(tray_lock_path_str(path)).is_symlink()


def test_a_status_line_under_a_held_cache_lock_answers_within_its_budget(folder: Path, figures) -> None:
    path = folder / ".usage_cache"
    status_line(path, '{"rate_limits": {"five_hour": {"used_percentage": 10}, "seven_day": {"used_percentage": 20}}}')
    holder = FileLock(lock_path_str(path))
    holder.acquire()  # another writer that never lets go (per open file: excludes this process too)
    try:
        started = time.monotonic()
        line = status_line(path)
        took = time.monotonic() - started
    finally:
        holder.release()
    assert line == "5h:23% 7d:41%\n"  # what Claude Code sent, even though it could not be recorded
    assert took < statusline.LOCK_BUDGET_S + 1.0  # not the writers' 5 s wait
    figures("planted.statusline_under_held_lock", budget_s=statusline.LOCK_BUDGET_S, took_s=round(took, 3))


def test_a_cache_folder_everyone_can_write_is_refused_with_the_fix(folder: Path) -> None:
    folder.chmod(0o777)
    path = folder / ".usage_cache"
    with pytest.raises(CacheError) as refused:
        cache.update_cache(path, lambda current: {"pro": None})
    message = str(refused.value)
    assert "every user" in message and f"chmod 700 {folder}" in message and "\n" not in message
    assert not path.exists()
    assert status_line(path) == "5h:23% 7d:41%\n"


def test_doctor_reports_a_cache_folder_everyone_can_write(folder: Path, tmp_path: Path) -> None:
    folder.chmod(0o777)
    env = tray_env(tmp_path, CLAUDE_TRAY_CACHE=str(folder / ".usage_cache"))
    bad = [c for c in collect_checks(env, now=NOW) if c.mark == BAD]
    assert any("every user" in c.title and "chmod 700" in c.fix for c in bad), bad


@pytest.fixture
def fifo_home(home_factory) -> Path:
    home = home_factory()
    credentials = home / ".claude" / ".credentials.json"
    credentials.unlink()
    os.mkfifo(credentials, 0o600)
    return home


def test_a_fifo_as_credentials_is_refused_at_once(fifo_home: Path) -> None:
    with pytest.raises(CredentialsError, match="FIFO"):
        read_credentials(tray_env(fifo_home))


@pytest.mark.parametrize("command", [["status"], ["refresh"], ["doctor"]])
def test_commands_return_with_a_fifo_as_credentials(fifo_home: Path, command: list[str]) -> None:
    result = cli(*command, env=tray_env(fifo_home, "http://127.0.0.1:9/u"))  # would hang without a bound
    assert "Traceback" not in result.stderr
    assert result.returncode in (1, 3), result


def test_a_credentials_link_is_not_followed(home_factory, tmp_path: Path) -> None:
    home = home_factory()
    credentials = home / ".claude" / ".credentials.json"
    real = tmp_path / "planted.json"
    real.write_bytes(credentials.read_bytes())
    credentials.unlink()
    credentials.symlink_to(real)
    with pytest.raises(CredentialsError, match="symbolic link"):
        read_credentials(tray_env(home))


def test_a_fifo_as_the_cache_does_not_hang_the_status_line(home_factory) -> None:
    home = home_factory()
    path = cache_of(home)
    path.parent.mkdir(mode=0o700)
    os.mkfifo(path, 0o600)
    result = cli("statusline", env=tray_env(home), stdin=STDIN, timeout=20)
    assert result.returncode == 0 and result.stdout == "5h:23% 7d:41%\n", result
    result = cli("statusline", env=tray_env(home), stdin="{}", timeout=20)
    assert result.returncode == 0 and result.stdout.startswith("5h:"), result
