"""Claude Code's own cached figures (`~/.claude.json` `cachedUsageUtilization`, SPEC §2) as a zero-network source."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import FIXTURES
from tray.fetching.fetch import run_fetch
from tray.sources import claudecode
from tray.store import cache

FETCHED = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)  # the fixture's fetchedAtMs
TOKEN = "sk-ant-oat01-CLAUDECODECACHEBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB-testonly"


def write_claude_json(target: Path, fetched_at: datetime, **changes: object) -> Path:
    data = json.loads((FIXTURES / "claude-code" / "claude.json").read_text())
    data["cachedUsageUtilization"]["fetchedAtMs"] = int(fetched_at.timestamp() * 1000)
    data["cachedUsageUtilization"].update(changes)
    target.write_text(json.dumps(data, indent=2))
    return target


@pytest.fixture
def signed_in(home: Path) -> Path:
    creds = home / ".claude" / ".credentials.json"
    creds.write_text(json.dumps({"claudeAiOauth": {"accessToken": TOKEN, "expiresAt": 4102444800000,
                                                   "scopes": ["user:inference", "user:profile"],
                                                   "subscriptionType": "max"}}))
    creds.chmod(0o600)
    return home


class Endpoint:
    def __init__(self) -> None:
        self.log: list[datetime] = []
        self.now = FETCHED

    def __call__(self, request: Request) -> Response:
        self.log.append(self.now)
        body = {"five_hour": {"utilization": 44.0, "resets_at": "2026-06-01T11:59:59.661633+00:00"},
                "seven_day": {"utilization": 27.0, "resets_at": "2026-06-04T06:59:59.661655+00:00"},
                "extra_usage": {"is_enabled": True, "monthly_limit": 2000, "used_credits": 525,
                                "utilization": 26.25, "currency": "EUR"}}
        return Response(json.dumps(body), content_type="application/json")


def env_of(home: Path, url: str, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "CLAUDE_TRAY_API_URL": url, **extra}


def test_its_figures_are_read_with_their_timestamp_fable_included(home: Path) -> None:
    write_claude_json(home / ".claude.json", FETCHED)
    found = claudecode.read_cached_usage({"HOME": str(home)})
    assert found is not None and found.fetched_at == FETCHED
    assert (found.usage.five_hour.utilization, found.usage.seven_day.utilization) == (43.0, 27.0)
    assert [(w.label, w.utilization) for w in found.usage.models] == [("7-day Fable", 61.0)]


def test_with_claude_config_dir_the_file_is_that_folders_claude_json(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "work-profile"
    folder.mkdir()
    write_claude_json(folder / ".claude.json", FETCHED)
    write_claude_json(home / ".claude.json", FETCHED - timedelta(hours=3))
    found = claudecode.read_cached_usage({"HOME": str(home), "CLAUDE_CONFIG_DIR": str(folder)})
    assert found is not None and found.fetched_at == FETCHED


def test_it_counts_only_while_newer_than_the_cache_and_younger_than_an_hour(home: Path) -> None:
    write_claude_json(home / ".claude.json", FETCHED)
    found = claudecode.read_cached_usage({"HOME": str(home)})
    assert claudecode.fresh_reading(found, None, FETCHED + timedelta(minutes=59)) is found
    assert claudecode.fresh_reading(found, None, FETCHED + timedelta(minutes=60)) is None
    assert claudecode.fresh_reading(found, FETCHED - timedelta(seconds=1), FETCHED) is found
    assert claudecode.fresh_reading(found, FETCHED, FETCHED + timedelta(seconds=5)) is None


def test_the_trays_memo_reads_the_file_again_only_once_it_changed(home: Path) -> None:
    from tray.base.filememo import FileMemo

    memo, env = FileMemo(), {"HOME": str(home)}
    write_claude_json(home / ".claude.json", FETCHED)
    first = claudecode.read_cached_usage(env, memo)
    assert first is not None and claudecode.read_cached_usage(env, memo) is first  # unchanged: not read again
    assert claudecode.read_cached_usage(env) is not first  # without a memo (status line, status): read afresh
    write_claude_json(home / ".claude.json", FETCHED + timedelta(minutes=5), seenBy="a newer Claude Code")  # longer
    again = claudecode.read_cached_usage(env, memo)
    assert again is not None and again.fetched_at == FETCHED + timedelta(minutes=5)


def test_another_accounts_figures_and_a_broken_file_are_no_reading(home: Path) -> None:
    write_claude_json(home / ".claude.json", FETCHED, accountUuid="ffffffff-0000-4000-8000-000000000000")
    assert claudecode.read_cached_usage({"HOME": str(home)}) is None
    (home / ".claude.json").write_text('{"cachedUsageUtilization": {"fetchedAtMs": 17')
    assert claudecode.read_cached_usage({"HOME": str(home)}) is None
    (home / ".claude.json").write_text('{"numStartups": 3}')
    assert claudecode.read_cached_usage({"HOME": str(home)}) is None


def test_a_fresh_local_figure_is_a_reading_and_no_request_is_sent(signed_in: Path, httpserver: HTTPServer) -> None:
    endpoint = Endpoint()
    httpserver.expect_request("/api/oauth/usage").respond_with_handler(endpoint)
    claude_json = write_claude_json(signed_in / ".claude.json", FETCHED)
    before = (claude_json.read_bytes(), claude_json.stat().st_mtime_ns)
    path = signed_in / ".claude" / "oh-my-claude" / ".usage_cache"
    env = env_of(signed_in, httpserver.url_for("/api/oauth/usage"))
    outcome = run_fetch(path, FETCHED + timedelta(seconds=20), env=env)
    assert not outcome.fetched and endpoint.log == []
    state = cache.read_state(path)
    assert state.source == "claude-code" and state.fetched_at == FETCHED
    assert [w.label for w in state.usage.models] == ["7-day Fable"]
    assert (claude_json.read_bytes(), claude_json.stat().st_mtime_ns) == before  # never written


def test_while_claude_code_runs_the_endpoint_is_asked_for_what_it_lacks_at_most_every_five_minutes(
    signed_in: Path, httpserver: HTTPServer
) -> None:
    endpoint = Endpoint()
    httpserver.expect_request("/api/oauth/usage").respond_with_handler(endpoint)
    env = env_of(signed_in, httpserver.url_for("/api/oauth/usage"))
    path = signed_in / ".claude" / "oh-my-claude" / ".usage_cache"
    now = FETCHED
    endpoint.now = now
    run_fetch(path, now, env=env)  # the first reading: the endpoint's, with extra usage
    for minute in range(1, 31):
        now = FETCHED + timedelta(minutes=minute)
        endpoint.now = now
        write_claude_json(signed_in / ".claude.json", now - timedelta(seconds=10))  # Claude Code's /usage
        run_fetch(path, now, env=env)
    gaps = [(b - a).total_seconds() for a, b in zip(endpoint.log, endpoint.log[1:])]
    assert 5 <= len(endpoint.log) <= 7 and min(gaps) >= 300
    state = cache.read_state(path)
    assert state.usage.extra is not None and state.usage.extra.currency == "EUR"  # what the local figures lack
