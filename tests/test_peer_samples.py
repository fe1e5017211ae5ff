"""Every peer sample (real data no one here wrote) gives what its `expect` says — `we-are-wrong` ones included.

The samples are copies under tests/fixtures/peer-samples (see its README for where each comes from): usage
endpoint bodies from other tools' test suites, Claude Code status-line captures, and files oh-my-claude's real
updater wrote.
"""

from __future__ import annotations

import io
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import FIXTURES, install_credentials
from tray.cli import main as cli_main
from tray.errors import UnrecognisedAnswer
from tray.model.state import CachedState, LastError, pro_block, state_from_cache
from tray.model.usage import Usage, UsageWindow, parse_usage
from tray.show.report import status_text
from tray.statusline import main as statusline_main

SAMPLES = FIXTURES / "peer-samples"
NOW = datetime(2026, 12, 1, 22, 0, tzinfo=timezone.utc)  # before every sample's 2100 resets


def samples(kind: str) -> list:
    files = sorted((SAMPLES / kind).glob("*.json"))
    assert files, f"no samples in {SAMPLES / kind}"
    return [pytest.param(json.loads(f.read_text()), id=f.stem) for f in files]


def cache_file(home: Path) -> Path:
    return home / ".claude" / "oh-my-claude" / ".usage_cache"


@pytest.mark.parametrize("sample", samples("statusline"))
def test_each_status_line_capture_prints_and_records_what_it_should(sample: dict, home: Path) -> None:
    expect, out = sample["expect"], io.StringIO()
    stdin = io.StringIO(json.dumps(sample["stdin"]))
    assert statusline_main(stdin=stdin, stdout=out, env={"HOME": str(home)}, now=NOW) == 0  # no traceback either
    line = out.getvalue()
    if "stdout" in expect:
        assert line == expect["stdout"] + "\n"
    if "stdout_not_contains" in expect:
        assert expect["stdout_not_contains"] not in line
    written = cache_file(home).exists()
    if expect.get("no_cache_write"):
        assert not written
    raw = json.loads(cache_file(home).read_text()) if written else {}
    if "pro" in expect:
        assert {key: raw["pro"][key] for key in expect["pro"]} == expect["pro"]
    if "no_window_above" in expect:
        usage = state_from_cache(raw).usage
        assert all(w.utilization <= expect["no_window_above"] for w in (usage.windows() if usage else ()))
        pro = raw.get("pro") or {}
        assert all(pro.get(k, 0) <= expect["no_window_above"] for k in ("five_hour_pct", "seven_day_pct"))
    if expect.get("pro_resets_not_1970"):
        resets = [raw["pro"]["five_hour_resets_at"], raw["pro"]["seven_day_resets_at"]]
        resets += [w["resets_at"] for w in (raw["tray"]["usage"]["five_hour"], raw["tray"]["usage"]["seven_day"])]
        assert not any(str(r or "").startswith("1970") for r in resets)


def parsed(body: object) -> Usage | None:
    try:
        return parse_usage(body)
    except UnrecognisedAnswer:
        return None  # its own state: no window this version recognises


def find(usage: Usage | None, name: str) -> list[UsageWindow]:
    """`five_hour` / `seven_day` by key; `~sonnet` any per-model window whose key or label names it."""
    windows = usage.windows() if usage is not None else ()
    if not name.startswith("~"):
        return [w for w in windows if w.key == name]
    model = name[1:].lower()
    return [w for w in (usage.models if usage else ()) if model in w.key.lower() or model in w.label.lower()]


@pytest.mark.parametrize("sample", [s for s in samples("responses") if "refresh_rc" not in s.values[0]["expect"]])
def test_each_peer_response_reads_as_the_sample_expects(sample: dict) -> None:
    expect, usage = sample["expect"], parsed(sample["body"])
    for name, figure in expect.get("windows", {}).items():
        found = find(usage, name)
        assert found, f"{name} missing"
        assert found[0].utilization == pytest.approx(figure)
    for name in expect.get("absent", ()):
        assert find(usage, name) == [], f"{name} should be absent"
    for name in expect.get("single", ()):
        assert len(find(usage, name)) == 1
    if expect.get("only_windows"):
        assert len(usage.windows() if usage else ()) == len(expect["windows"])
    if "pro" in expect:
        block = pro_block(usage)
        if expect["pro"] is None:
            assert block is None
        else:
            assert {key: block[key] for key in expect["pro"]} == expect["pro"]
    if "status_has" in expect or "status_lacks" in expect:
        if usage is None:
            error = LastError(NOW, UnrecognisedAnswer.kind, "The usage endpoint answered with no window.")
            state = CachedState(last_error=error, plan="pro")
        else:
            state = CachedState(usage=usage, fetched_at=NOW - timedelta(minutes=1), source="api", plan="pro")
        text = status_text(state, NOW, tz=timezone.utc, clock_24h=True)
        for words in expect.get("status_has", ()):
            assert words in text
        for words in expect.get("status_lacks", ()):
            assert words not in text


@pytest.mark.parametrize("sample", [s for s in samples("responses") if "refresh_rc" in s.values[0]["expect"]])
def test_a_peer_response_with_nothing_usable_makes_refresh_exit_as_the_sample_expects(
    sample: dict, home: Path, httpserver: HTTPServer, capsys
) -> None:
    install_credentials(home, FIXTURES / "credentials" / "pro_valid.json")
    httpserver.expect_request("/api/oauth/usage").respond_with_json(sample["body"])
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""),
           "CLAUDE_TRAY_API_URL": httpserver.url_for("/api/oauth/usage")}
    assert cli_main(["refresh"], env) == sample["expect"]["refresh_rc"]
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("name", [p.name for p in sorted((SAMPLES / "omc").glob("*.json"))])
def test_each_file_oh_my_claude_wrote_reads_without_losing_a_figure(name: str) -> None:
    raw = json.loads((SAMPLES / "omc" / name).read_text())
    state = state_from_cache(raw)
    if raw["pro"] is None:
        assert state.usage is None  # `pro: null` is "its fetch failed", never 0 %
    else:
        assert state.source == "oh-my-claude"
        assert state.usage.five_hour.utilization == raw["pro"]["five_hour_pct"]
        assert state.usage.seven_day.utilization == raw["pro"]["seven_day_pct"]
        # "" is "reset unknown" (a fresh window), never a 1970 reset
        assert (state.usage.five_hour.resets_at is None) == (raw["pro"]["five_hour_resets_at"] == "")
