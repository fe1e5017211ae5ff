"""Odd systems end in one sentence or in the figures, never in a traceback (SPEC §6, §8): 8-bit terminals,
edge-of-calendar expiries in zones east and west of UTC, a zone Python cannot use, a lone surrogate in the
token, a closed stdout, a reader that leaves, a user with no home, a huge leftover file, a clock before 1970.
Real processes wherever a user would meet the case; PYTHONIOENCODING stands in for an 8-bit locale (the
machine need not have `en_US.ISO-8859-1` installed: Python reads the terminal's encoding from either)."""

from __future__ import annotations

import io
import json
import os
import pwd
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.reliability.conftest import cache_of, tray_env
from tray import statusline
from tray.cli import main
from tray.fetching.fetch import run_fetch

STDIN = '{"rate_limits": {"five_hour": {"used_percentage": 23, "resets_at": 1893456000}, ' \
        '"seven_day": {"used_percentage": 41, "resets_at": 1893456000}}}'
COMMANDS = (["status"], ["refresh"], ["doctor"], ["statusline", "--projection"])
UNREACHABLE = "http://127.0.0.1:9/api/oauth/usage"  # the discard port: nothing listens, nothing leaves


def run(home: Path, argv: list[str], stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tray", *argv], input=stdin, capture_output=True, timeout=60,
                          env=tray_env(home, UNREACHABLE, **env), text=True, encoding="utf-8", errors="replace")


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr
    assert result.returncode in (0, 1, 2, 3, 4, 5, 6), result


def with_credentials(home: Path, **oauth: object) -> None:
    path = home / ".claude" / ".credentials.json"
    document = json.loads(path.read_text())
    document["claudeAiOauth"].update(oauth)
    path.write_text(json.dumps(document))


@pytest.fixture
def home(home_factory) -> Path:
    """Signed in, with a reading in the cache (so `status` has its dashes and arrows to print)."""
    made = home_factory()
    statusline.main(io.StringIO(STDIN), io.StringIO(), tray_env(made), datetime.now(timezone.utc))
    return made


@pytest.mark.parametrize("encoding", ["latin-1", "iso8859-9", "euc-jp", "ascii"])
@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_an_8_bit_terminal_gets_what_it_can_print(home: Path, encoding: str, argv: list[str]) -> None:
    result = run(home, argv, stdin=STDIN, PYTHONIOENCODING=encoding)
    no_traceback(result)
    if argv[0] == "status":
        assert "23%" in result.stdout


@pytest.mark.parametrize(("expires_ms", "zone"), [
    (-62135596800000, "America/New_York"),  # year 1, west of UTC: local time would be year 0
    (253402300799000, "Asia/Tokyo"),  # 9999-12-31T23:59:59Z, east of UTC: local time would be year 10000
])
@pytest.mark.parametrize("argv", [["status"], ["doctor"], ["refresh"]], ids=" ".join)
def test_an_expiry_at_the_edge_of_the_calendar_is_read_in_any_zone(
    home: Path, expires_ms: int, zone: str, argv: list[str]
) -> None:
    with_credentials(home, expiresAt=expires_ms)
    result = run(home, argv, TZ=zone)
    no_traceback(result)
    if expires_ms < 0:
        assert "expired" in result.stdout + result.stderr


@pytest.mark.parametrize("argv", [["status"], ["doctor"], ["refresh"]], ids=" ".join)
def test_a_lone_surrogate_in_the_token_is_a_sentence(home: Path, argv: list[str]) -> None:
    path = home / ".claude" / ".credentials.json"
    path.write_text(path.read_text().replace("-testonly", "\\ud83d-testonly"))
    result = run(home, argv)
    no_traceback(result)
    if argv == ["refresh"]:
        assert result.returncode == 3 and "cannot be sent" in result.stderr


@pytest.mark.parametrize("argv", [*COMMANDS, ["statusline"]], ids=" ".join)
def test_a_zone_python_cannot_use_reads_as_utc(home: Path, argv: list[str]) -> None:
    no_traceback(run(home, argv, stdin=STDIN, TZ="XXX+24"))


@pytest.mark.parametrize("argv", [["statusline"], ["statusline", "--projection"], ["status"]], ids=" ".join)
def test_a_closed_stdout_ends_quietly(home: Path, argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "tray", *argv], input=STDIN, capture_output=False, timeout=60,
                            stderr=subprocess.PIPE, env=tray_env(home, UNREACHABLE), text=True,
                            preexec_fn=lambda: os.close(1))
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr


@pytest.mark.parametrize("argv", [["status"], ["status", "--json"], ["doctor"]], ids=" ".join)
def test_a_reader_that_leaves_after_one_byte_ends_the_command_quietly(home: Path, argv: list[str]) -> None:
    command = " ".join([sys.executable, "-m", "tray", *argv]) + " | head -c1"
    result = subprocess.run(["bash", "-c", command], capture_output=True, timeout=60, text=True,
                            encoding="utf-8", errors="replace", env=tray_env(home, UNREACHABLE))
    assert len(result.stdout) == 1
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr


def test_a_user_with_no_home_and_no_password_entry_gets_one_sentence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unknown(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", unknown)
    for name in ("HOME", "USERPROFILE", "CLAUDE_CONFIG_DIR", "CLAUDE_TRAY_CACHE"):
        monkeypatch.delenv(name, raising=False)
    for argv in (["status"], ["refresh"], ["doctor"], ["statusline"]):
        monkeypatch.setattr(sys, "stdin", io.StringIO(STDIN))
        assert main(argv, {"PATH": "/usr/bin:/bin"}) == 2
        err = capsys.readouterr().err
        assert "set HOME" in err and err.count("\n") == 1


def test_doctor_reads_a_huge_leftover_env_file_in_bounded_memory(home: Path, figures) -> None:
    dotenv = home / ".claude" / ".env"
    with open(dotenv, "wb") as sparse:
        sparse.write(b"CLAUDE_SESSION_KEY=sk-ant-sid01-old-testonly\n")
        sparse.truncate(1 << 30)  # 1 GiB, sparse: costs no disk
    measure = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True, timeout=60); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "tray", "doctor"],
                            capture_output=True, text=True, timeout=90, env=tray_env(home, UNREACHABLE))
    peak_mb = int(result.stdout.strip()) / 1024
    assert peak_mb < 200  # measured 2 GB when the whole file was read
    figures("odd.doctor_1gib_env", peak_rss_mb=round(peak_mb, 1))
    assert "session key" in run(home, ["doctor"]).stdout  # and it is still reported


def test_a_clock_before_1970_does_not_make_every_automatic_cycle_fetch(home_factory, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/u").respond_with_json({"five_hour": {"utilization": 3, "resets_at": None}})
    home = home_factory()
    env = tray_env(home, httpserver.url_for("/u"))
    moon = datetime(1969, 7, 20, 20, 17, tzinfo=timezone.utc)
    outcomes = [run_fetch(cache_of(home), moon + timedelta(minutes=i), env=env) for i in range(10)]
    assert [o.fetched for o in outcomes] == [False] * 10
    assert "clock" in outcomes[0].message
    assert httpserver.log == []
    manual = run_fetch(cache_of(home), moon, env=env, manual=True)  # the user asked: that one is sent
    assert manual.fetched and len(httpserver.log) == 1
