"""The command line as a user meets it: real files in a temporary HOME, a real loopback server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import install_credentials
from tray.cli import main

TOKEN = "sk-ant-oat01-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-testonly"


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "")}
    env.update(extra)
    return env


def cache_of(home: Path) -> dict:
    return json.loads((home / ".claude" / "oh-my-claude" / ".usage_cache").read_text())


@pytest.fixture
def signed_in(home: Path, fixtures: Path) -> Path:
    install_credentials(home, fixtures / "credentials" / "pro_valid.json")
    return home


def test_refresh_fetches_records_and_prints_the_figures(signed_in, fixtures, httpserver: HTTPServer, capsys):
    httpserver.expect_request("/api/oauth/usage").respond_with_data(
        (fixtures / "api" / "basic.json").read_bytes(), content_type="application/json"
    )
    code = main(["refresh"], env_for(signed_in, CLAUDE_TRAY_API_URL=httpserver.url_for("/api/oauth/usage")))
    out = capsys.readouterr().out
    assert code == 0
    assert "5-hour 24%" in out and "7-day 36%" in out and "7-day Sonnet 1%" in out
    cached = cache_of(signed_in)
    assert cached["pro"] == {
        "five_hour_pct": 24, "five_hour_resets_at": "2026-01-02T19:59:59.600956+00:00",
        "seven_day_pct": 36, "seven_day_resets_at": "2026-01-08T06:59:59.600974+00:00",
    }
    assert cached["tray"]["source"] == "api"
    assert len(httpserver.log) == 1


def test_refresh_debug_prints_url_status_headers_and_body_with_the_token_masked(
    signed_in, fixtures, httpserver: HTTPServer, capsys
):
    httpserver.expect_request("/api/oauth/usage").respond_with_data(
        (fixtures / "api" / "error_401_invalid.json").read_bytes(), status=401, content_type="application/json"
    )
    url = httpserver.url_for("/api/oauth/usage")
    code = main(["refresh", "--debug"], env_for(signed_in, CLAUDE_TRAY_API_URL=url))
    captured = capsys.readouterr()
    assert code == 3
    assert url in captured.out and "401" in captured.out and "authentication_error" in captured.out
    assert "Authorization: Bearer [REDACTED]" in captured.out
    assert TOKEN not in captured.out + captured.err
    assert "Traceback" not in captured.err and captured.err.count("\n") == 1


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [(403, "error_403_scope.json", 3), (429, "error_429.json", 4), (502, "error_502.html", 5)],
)
def test_refresh_failures_exit_with_the_spec_codes_and_one_sentence(
    signed_in, fixtures, httpserver: HTTPServer, capsys, status, body, code
):
    httpserver.expect_request("/api/oauth/usage").respond_with_data(
        (fixtures / "api" / body).read_bytes(), status=status
    )
    result = main(["refresh"], env_for(signed_in, CLAUDE_TRAY_API_URL=httpserver.url_for("/api/oauth/usage")))
    err = capsys.readouterr().err
    assert result == code
    assert err.startswith("claude-tray: ") and err.count("\n") == 1 and "Traceback" not in err


def test_refresh_with_expired_credentials_sends_nothing_and_says_run_claude(home, fixtures, httpserver, capsys):
    install_credentials(home, fixtures / "credentials" / "expired.json")
    code = main(["refresh"], env_for(home, CLAUDE_TRAY_API_URL=httpserver.url_for("/api/oauth/usage")))
    assert code == 3
    assert "claude" in capsys.readouterr().err
    assert httpserver.log == []


def test_refresh_refuses_a_non_loopback_http_url_without_sending_the_token(signed_in, capsys):
    code = main(["refresh"], env_for(signed_in, CLAUDE_TRAY_API_URL="http://example.com/api/oauth/usage"))
    err = capsys.readouterr().err
    assert code == 2
    assert "CLAUDE_TRAY_API_URL" in err and TOKEN not in err
    cache = signed_in / ".claude" / "oh-my-claude" / ".usage_cache"
    assert not cache.exists() or cache_of(signed_in)["tray"]["gate"]["next_fetch_at"] is None  # no claim held


def test_statusline_records_claude_codes_figures_and_status_shows_them(home, fixtures, capsys):
    stdin = (fixtures / "cache" / "statusline_stdin.json").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "tray", "statusline"], input=stdin, capture_output=True, text=True,
        env=env_for(home), timeout=30,
    )
    assert result.stdout == "5h:23% 7d:41%\n" and result.returncode == 0
    assert main(["status"], env_for(home)) == 0
    out = capsys.readouterr().out
    assert "5-hour 23%" in out and "7-day 41%" in out and "via Claude Code" in out
    assert cache_of(home)["pro"]["five_hour_pct"] == 23


def test_statusline_with_iso_reset_times_and_without_rate_limits(home, fixtures, capsys):
    from tray.statusline import main as statusline_main

    for name, expected in (("statusline_stdin_iso.json", "5h:88% 7d:12%\n"),
                           ("statusline_stdin_no_limits.json", "5h:88% 7d:12%\n")):
        with (fixtures / "cache" / name).open() as stdin:
            assert statusline_main(stdin=stdin, env=env_for(home)) == 0
        assert capsys.readouterr().out == expected
    tray_section = cache_of(home)["tray"]
    assert tray_section["usage"]["five_hour"]["resets_at"].startswith("2100-01-01T05:00:00")


def test_statusline_never_fails_on_garbage_input(home, capsys):
    import io

    from tray.statusline import main as statusline_main

    for garbage in ("", "not json", "[1,2]", '{"rate_limits": {"five_hour": {"used_percentage": "x"}}}'):
        assert statusline_main(stdin=io.StringIO(garbage), env=env_for(home)) == 0
        assert capsys.readouterr().out == "5h:-- 7d:--\n"


def test_statusline_imports_only_the_standard_library(home, fixtures):
    probe = (
        "import sys, io\n"
        "sys.stdin = io.StringIO(open(sys.argv[1]).read())\n"
        "from tray.cli import main\n"
        "main(['statusline'])\n"
        "third = sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names"
        " and m.split('.')[0] not in ('tray', 'tests') and not m.startswith('_'))\n"
        "print('THIRD-PARTY:', ','.join(sorted(set(third))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(fixtures / "cache" / "statusline_stdin.json")],
        capture_output=True, text=True, env=env_for(home), timeout=30, cwd=Path(__file__).parents[1],
    )
    # (names starting with "_" are site's .pth hooks: the editable-install finder, setuptools' hack)
    assert result.returncode == 0, result.stderr
    assert "5h:23% 7d:41%" in result.stdout
    assert result.stdout.strip().endswith("THIRD-PARTY:")


def test_status_without_any_reading_says_what_to_do(home, fixtures, capsys):
    assert main(["status"], env_for(home)) == 3  # no credentials: SPEC §6
    assert "run `claude` to sign in" in capsys.readouterr().out
    install_credentials(home, fixtures / "credentials" / "pro_valid.json")
    assert main(["status"], env_for(home)) == 1
    assert "claude-tray refresh" in capsys.readouterr().out


def test_status_json_is_machine_readable(signed_in, fixtures, capsys):
    home = signed_in
    cache = home / ".claude" / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(parents=True)
    cache.write_text((fixtures / "cache" / "oh_my_claude.json").read_text())
    assert main(["status", "--json"], env_for(home)) == 0
    data = json.loads(capsys.readouterr().out)
    # Read on 2025-12-28 before both resets, which have passed since: both windows are over (SPEC §4).
    assert [(w["key"], w["utilization"]) for w in data["windows"]] == [("five_hour", 0.0), ("seven_day", 0.0)]
    assert data["source"] == "oh-my-claude" and data["look"] == "stale"


def test_bad_usage_exits_2_with_a_usage_line(home, capsys):
    assert main(["status", "--bogus"], env_for(home)) == 2
    assert "usage:" in capsys.readouterr().err


def test_render_writes_a_png_of_the_asked_size(home, tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "ring.png"
    assert main(["render", str(out), "--five-hour", "80", "--state", "stale", "--size", "32"], env_for(home)) == 0
    with Image.open(out) as image:
        assert image.size == (32, 32)
    assert main(["render", str(out), "--state", "purple"], env_for(home)) == 2
    assert "Unknown state" in capsys.readouterr().err


def test_doctor_reports_each_check_with_a_fix(home, fixtures, capsys):
    install_credentials(home, fixtures / "credentials" / "expired.json")
    (home / ".claude" / ".env").write_text("CLAUDE_SESSION_KEY=sk-ant-sid01-FAKE-testonly\n")
    code = main(["doctor"], env_for(home))
    out = capsys.readouterr().out
    assert code == 1
    assert "✓ Credentials file exists" in out
    assert "✗" in out and "expired" in out.lower() and "run `claude`" in out.lower()
    assert ".env" in out and "safe to delete" in out
    assert "sk-ant-sid01" not in out


def test_run_without_a_display_says_so_and_names_status(home):
    env = env_for(home)
    result = subprocess.run([sys.executable, "-m", "tray", "run"], capture_output=True, text=True, env=env,
                            timeout=30)
    assert result.returncode != 0
    assert "claude-tray status" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_bad_interval_in_the_environment_is_a_one_sentence_usage_error(signed_in, capsys):
    assert main(["refresh"], env_for(signed_in, CLAUDE_TRAY_INTERVAL="soon")) == 2
    err = capsys.readouterr().err
    assert "CLAUDE_TRAY_INTERVAL" in err and err.count("\n") == 1


def test_doctor_sees_the_launch_at_login_entry_that_autostart_enabled_for_the_same_config_dir(
        home, tmp_path, monkeypatch, capsys):
    # Launch at login refuses a program inside the temp folder; CI may check the project out under /tmp.
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "not-the-checkout"))
    work = tmp_path / "work-claude"
    work.mkdir()
    env = env_for(home, XDG_CONFIG_HOME=str(home / ".config"))
    assert main(["--config-dir", str(work), "autostart", "enable"], env) == 0
    capsys.readouterr()
    main(["--config-dir", str(work), "doctor"], env)
    doctor = capsys.readouterr().out
    assert "Launch at login is on" in doctor and "work-claude" in doctor
    main(["doctor"], env)  # the default config dir has its own entry, still off
    assert "Launch at login is off" in capsys.readouterr().out
