"""`claude-tray refresh` inside a server's wait, and an answer of windows this version does not know (SPEC §4)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import FIXTURES, install_credentials
from tray.cli import main
from tray.show.debugtext import debug_text
from tray.show.view import build_view
from tray.store import cache


@pytest.fixture
def signed_in(home: Path) -> Path:
    install_credentials(home, FIXTURES / "credentials" / "pro_valid.json")
    return home


def env_for(home: Path, url: str) -> dict[str, str]:
    return {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "CLAUDE_TRAY_API_URL": url}


def test_refresh_inside_a_retry_after_sends_nothing_and_says_until_when_force_asks_anyway(
    signed_in: Path, httpserver: HTTPServer, capsys
) -> None:
    env = env_for(signed_in, httpserver.url_for("/api/oauth/usage"))
    httpserver.expect_ordered_request("/api/oauth/usage").respond_with_json(
        {"error": {"type": "rate_limit_error"}}, status=429, headers={"Retry-After": "3600"})
    assert main(["refresh"], env) == 4
    capsys.readouterr()
    assert main(["refresh"], env) == 4  # nothing sent: the server asked for an hour
    out = capsys.readouterr()
    assert "Anthropic asked to wait until" in out.out + out.err
    assert len(httpserver.log) == 1
    httpserver.expect_ordered_request("/api/oauth/usage").respond_with_data(
        (FIXTURES / "api" / "basic.json").read_bytes(), content_type="application/json")
    path = signed_in / ".claude" / "oh-my-claude" / ".usage_cache"
    raw = json.loads(path.read_text())
    raw["tray"]["gate"]["last_manual_at"] = "2000-01-01T00:00:00+00:00"  # as if the double-click gap had passed
    path.write_text(json.dumps(raw))
    assert main(["refresh", "--force"], env) == 0
    assert len(httpserver.log) == 2
    gate = json.loads((signed_in / ".claude" / "oh-my-claude" / ".usage_cache").read_text())["tray"]["gate"]
    assert gate["reason"] == "rate_limited"  # the forced answer did not shorten the server's wait


def test_an_answer_of_only_unknown_windows_is_its_own_state_with_the_body_in_the_debug_text(
    signed_in: Path, httpserver: HTTPServer, capsys
) -> None:
    body = json.loads((FIXTURES / "peer-samples" / "responses" / "um05_monthly_bucket.json").read_text())["body"]
    httpserver.expect_request("/api/oauth/usage").respond_with_json(body)
    assert main(["refresh"], env_for(signed_in, httpserver.url_for("/api/oauth/usage"))) == 6
    state = cache.read_state(signed_in / ".claude" / "oh-my-claude" / ".usage_cache")
    now = datetime.now(timezone.utc)
    view = build_view(state, now)
    assert view.status_line.startswith("Unrecognised answer from the usage endpoint")
    assert "Updated just now" not in view.status_line
    assert '"monthly"' in debug_text(state, now)


def test_a_retry_after_beyond_six_hours_is_capped_and_the_answer_says_so(
    signed_in: Path, httpserver: HTTPServer, capsys
) -> None:
    httpserver.expect_request("/api/oauth/usage").respond_with_json(
        {"error": {"type": "rate_limit_error"}}, status=429, headers={"Retry-After": "86400"})
    assert main(["refresh"], env_for(signed_in, httpserver.url_for("/api/oauth/usage"))) == 4
    assert "Waiting 6 hours at most, not the 24 hours asked for." in capsys.readouterr().err
    gate = json.loads((signed_in / ".claude" / "oh-my-claude" / ".usage_cache").read_text())["tray"]["gate"]
    until = datetime.fromisoformat(gate["server_until"])
    assert 5.9 * 3600 < (until - datetime.now(timezone.utc)).total_seconds() <= 6 * 3600
