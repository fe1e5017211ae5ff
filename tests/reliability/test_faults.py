"""Faults injected for real where the machine allows: a full disk, a read-only disk, a missing or
forbidden cache folder, failing fsync/rename, credentials caught mid-write, and the clock jumping.

A full and a read-only disk are real tmpfs mounts when this runs as root (CI does); elsewhere the
same errno is injected and the figure says so.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import require_tool
from tests.reliability.conftest import TOKEN_CORE, cache_of, canary_credentials, temp_files, tray_env
from tests.test_app import StandInIcon, usage_payload
from tray import statusline
from tray.desktop.app import TrayApp
from tray.errors import CacheError, CredentialsError
from tray.fetching.fetch import run_fetch
from tray.sources.credentials import read_credentials
from tray.store import cache

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
STDIN = '{"rate_limits": {"five_hour": {"used_percentage": 23}, "seven_day": {"used_percentage": 41}}}'


def good_reading(path: Path, now: datetime = NOW) -> bytes:
    """Claude Code's status line reports figures; a report repeated within a minute writes nothing."""
    statusline.main(io.StringIO(STDIN), io.StringIO(), {"CLAUDE_TRAY_CACHE": str(path)}, now)
    return path.read_bytes()


def mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def unmount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[tuple[Path, bool]]:
    """A 64 kB filesystem (real when mount works), and whether it is real."""
    where = tmp_path / "tiny"
    real = mount_tmpfs(where, "64k")
    try:
        yield where, real
    finally:
        if real:
            unmount(where)


def fill(folder: Path) -> None:
    try:
        with open(folder / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError as full:
        assert full.errno == errno.ENOSPC


def test_a_full_disk_keeps_the_old_cache_leaves_no_temp_file_and_the_status_line_still_prints(
    tiny_disk: tuple[Path, bool], monkeypatch: pytest.MonkeyPatch, figures
) -> None:
    disk, real = tiny_disk
    path = disk / "oh-my-claude" / ".usage_cache"
    before = good_reading(path)
    if real:
        fill(disk)
    else:
        def no_space(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(cache.os, "fsync", no_space)
    out = io.StringIO()
    stdin = STDIN.replace("23", "57")
    assert statusline.main(io.StringIO(stdin), out, {"CLAUDE_TRAY_CACHE": str(path)}, NOW) == 0
    assert out.getvalue() == "5h:57% 7d:41%\n"  # shown even though it could not be kept
    with pytest.raises(CacheError, match="previous copy is unchanged"):
        cache.update_state(path, lambda s: s, now=NOW)
    assert path.read_bytes() == before
    assert temp_files(path.parent) == []
    if real:
        (disk / "filler").unlink()
    else:
        monkeypatch.undo()
    statusline.main(io.StringIO(stdin), io.StringIO(), {"CLAUDE_TRAY_CACHE": str(path)}, NOW)
    assert cache.read_state(path).usage.five_hour.utilization == 57  # writes resume once there is room
    figures("fault.enospc", real_tmpfs=real, old_file_intact=True, temp_files_left=0)


def test_a_read_only_disk_is_reported_and_the_tray_still_redraws(tmp_path: Path, home_factory, figures) -> None:
    home = home_factory()
    path = cache_of(home)
    before = good_reading(path)
    real = mount_tmpfs(path.parent.parent / "ro", "64k")  # a probe: can this machine remount read-only?
    if real:
        unmount(path.parent.parent / "ro")
        shutil.copytree(path.parent, tmp_path / "saved")
        mount_tmpfs(path.parent, "64k")
        shutil.copy(tmp_path / "saved" / path.name, path)
        real = subprocess.run(["mount", "-o", "remount,ro", str(path.parent)], capture_output=True).returncode == 0
    try:
        if not real:
            pytest.skip("cannot mount here; covered by the injected EROFS in tests/test_cache.py")
        with pytest.raises(CacheError, match="Read-only file system"):
            cache.update_state(path, lambda s: s, now=NOW)
        app = TrayApp(env=tray_env(home), cache_file=path, base_interval=60, clock=lambda: NOW)
        app.icon = StandInIcon()
        assert "5-hour 23 %" in app.redraw().title
        app.fetch(manual=False)  # the claim cannot be written: logged, nothing sent, no crash
        assert path.read_bytes() == before
    finally:
        unmount(path.parent)
    figures("fault.erofs", real_mount=real, old_file_intact=True)


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_an_fsync_or_rename_failure_keeps_the_old_file(tmp_path: Path, monkeypatch, failing: str) -> None:
    path = tmp_path / "c" / ".usage_cache"
    before = good_reading(path)

    def broken(*args: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(cache.os, "fsync", broken) if failing == "fsync" else monkeypatch.setattr(
        cache, "_replace", broken)
    with pytest.raises(CacheError, match="previous copy is unchanged"):
        cache.update_state(path, lambda s: s, now=NOW)
    assert path.read_bytes() == before and temp_files(path.parent) == []


def test_a_missing_cache_folder_is_created_private_and_an_impossible_one_is_one_sentence(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c" / ".usage_cache"
    good_reading(deep)
    assert oct(deep.parent.stat().st_mode & 0o777) == "0o700"
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(CacheError) as raised:
        cache.update_state(blocked / "sub" / ".usage_cache", lambda s: s, now=NOW)
    assert "\n" not in str(raised.value)
    out = io.StringIO()
    assert statusline.main(io.StringIO(STDIN), out, {"CLAUDE_TRAY_CACHE": str(blocked / "x")}, NOW) == 0
    assert out.getvalue() == "5h:23% 7d:41%\n"


def test_without_permission_commands_say_one_sentence_and_the_status_line_still_prints(
    home_factory, fixtures: Path
) -> None:
    home = home_factory()
    path = cache_of(home)
    before = good_reading(path)
    path.parent.chmod(0o500)
    (home / ".claude" / ".credentials.json").chmod(0o000)
    prefix: list[str] = []
    if os.geteuid() == 0:  # root ignores modes; a process without the override capabilities does not
        require_tool("setpriv")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
    env = {**tray_env(home, "http://127.0.0.1:9/"), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    try:
        line = subprocess.run([*prefix, sys.executable, "-m", "tray", "statusline"], input=STDIN,
                              capture_output=True, text=True, env=env, timeout=60)
        refresh = subprocess.run([*prefix, sys.executable, "-m", "tray", "refresh"], capture_output=True,
                                 text=True, env=env, timeout=60)
    finally:
        path.parent.chmod(0o700)
    assert (line.returncode, line.stdout, line.stderr) == (0, "5h:23% 7d:41%\n", "")
    assert refresh.returncode == 3 and "cannot be read" in refresh.stderr
    assert refresh.stderr.count("\n") == 1 and "Traceback" not in refresh.stderr
    assert path.read_bytes() == before and temp_files(path.parent) == []


def test_credentials_caught_mid_write_never_send_a_request_and_never_quote_the_token(
    home_factory, fixtures: Path, httpserver: HTTPServer, figures
) -> None:
    home = home_factory()
    whole = canary_credentials(fixtures)
    target = home / ".claude" / ".credentials.json"
    env = tray_env(home, httpserver.url_for("/u"))
    for cut in range(len(whole)):  # every prefix a reader could catch
        target.write_bytes(whole[:cut])
        outcome = run_fetch(cache_of(home), NOW, env=env)
        assert not outcome.fetched and isinstance(outcome.error, CredentialsError)
        assert TOKEN_CORE[:12] not in str(outcome.error) + cache_of(home).read_text()
    assert httpserver.log == []

    # And for real: Claude Code rewriting the file in place while we read it.
    stop, seen = threading.Event(), {"whole": 0, "broken": 0}

    def rewrite() -> None:
        while not stop.is_set():
            with open(target, "wb") as f:
                f.write(whole[: len(whole) // 2])
                f.flush()
                f.write(whole[len(whole) // 2:])

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        for _ in range(2000):
            try:
                read_credentials(env)
                seen["whole"] += 1
            except CredentialsError as problem:
                assert TOKEN_CORE[:12] not in str(problem)
                seen["broken"] += 1
    finally:
        stop.set()
        writer.join()
    figures("fault.credentials_mid_write", prefixes=len(whole), requests=0, concurrent_reads=2000, **seen)


def test_the_clock_jumping_hours_forward_and_back_never_stalls_or_floods(
    home_factory, httpserver: HTTPServer, figures
) -> None:
    home = home_factory()
    clock = {"now": NOW}
    app = TrayApp(env=tray_env(home, httpserver.url_for("/u")), cache_file=cache_of(home), base_interval=60,
                  clock=lambda: clock["now"])
    app.icon = StandInIcon()
    httpserver.expect_request("/u").respond_with_json(usage_payload(10, 20))

    def minutes(count: int) -> int:
        """Tick once a minute for `count` minutes; how many requests went out."""
        before = len(httpserver.log)
        for _ in range(count):
            app.redraw()
            app.fetch(manual=False)
            clock["now"] += timedelta(minutes=1)
        return len(httpserver.log) - before

    assert 1 <= minutes(10) <= 10  # unchanged readings stretch the interval (SPEC §4)
    for jump in (timedelta(hours=8), -timedelta(hours=3), -timedelta(days=2), timedelta(hours=30)):
        clock["now"] += jump  # suspend/resume, a fixed RTC, NTP stepping the clock
        assert minutes(1) == 1, f"no fresh reading after a jump of {jump}"
        assert 1 <= minutes(10) <= 10, f"stalled or flooded after a jump of {jump}"
        assert not any(ch.isdigit() and prev == "-" for prev, ch in zip(app.view.status_line, app.view.status_line[1:]))
    # A 429 just before the clock goes back: its wait must not stretch into hours.
    httpserver.clear()
    httpserver.expect_request("/u").respond_with_json({}, status=429, headers={"Retry-After": "600"})
    assert any(minutes(1) for _ in range(10))  # the next due fetch meets the 429
    httpserver.clear()
    httpserver.expect_request("/u").respond_with_json(usage_payload(11, 20))
    assert minutes(9) == 0  # inside Retry-After
    clock["now"] -= timedelta(hours=4)
    assert minutes(2) >= 1
    figures("fault.clock_jumps", jumps=5, stalls=0, floods=0)


def test_a_writer_killed_mid_write_leaves_a_temp_file_that_the_next_writer_removes(tmp_path: Path) -> None:
    path = tmp_path / "c" / ".usage_cache"
    before = good_reading(path)
    # A real writer process, SIGKILLed between writing its temp file and renaming it over the cache.
    script = (
        "import os, signal, sys; from pathlib import Path; from tray.store import cache; "
        "cache.os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL); "
        "cache.update_cache(Path(sys.argv[1]), lambda current: {'tray': {'by': 'killed'}})"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert killed.returncode == -9
    assert len(temp_files(path.parent)) == 1 and path.read_bytes() == before
    good_reading(path, NOW + timedelta(minutes=2))  # the next write
    assert temp_files(path.parent) == []
