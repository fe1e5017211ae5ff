"""Several machines, one account (SPEC §10): snapshots in a plain shared folder, real files, a loopback server."""

from __future__ import annotations

import io
import json
import os
import random
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.share_helpers import ACCOUNT, EMAIL, OTHER_ACCOUNT, Machine, statusline_input, usage_body
from tray.fetching.fetch import run_fetch
from tray.model.state import state_from_cache
from tray.share import link
from tray.share.folder import scan_folder
from tray.share.merge import snapshot_of
from tray.share.snapshot import Snapshot
from tray.show.look import Look
from tray.show.report import status_json, status_text
from tray.show.view import build_view
from tray.sources.account import fingerprint_of
from tray.statusline import main as statusline_main
from tray.store import cache

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
TOKEN_PART = "FAKEFAKE"  # every fixture token holds it


@pytest.fixture
def share(tmp_path: Path) -> Path:
    folder = tmp_path / "Sync"
    folder.mkdir()
    return folder


@pytest.fixture
def machines(tmp_path: Path, share: Path, httpserver: HTTPServer):
    url = httpserver.url_for("/api/oauth/usage")

    def make(host: str, **options) -> Machine:
        return Machine(tmp_path / "machines", host, share, url=url, **options)

    return make


def answer(httpserver: HTTPServer, five: float) -> None:
    httpserver.clear_all_handlers()  # the log of requests stays
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_body(five))


def snapshot_file(share: Path, host: str) -> Path:
    return share / "claude-tray" / f"{host}.json"


def test_a_reading_fetched_on_one_machine_is_shown_on_another_via_its_host_and_that_one_sends_nothing(
    machines, share, httpserver
):
    a, b = machines("laptop"), machines("desktop")
    answer(httpserver, 47.0)
    assert run_fetch(a.cache_file, NOW, env=a.env).fetched
    outcome = run_fetch(b.cache_file, NOW + timedelta(seconds=20), env=b.env)
    assert not outcome.fetched and "fresh reading" in outcome.message
    assert len(httpserver.log) == 1
    shown = cache.read_state(b.cache_file)
    assert shown.via_host == "laptop" and shown.usage.five_hour.utilization == 47.0
    later = NOW + timedelta(minutes=3)
    view = build_view(shown, later, tz=timezone.utc, clock_24h=True)
    assert view.status_line == "Updated via laptop · 3 min ago"
    assert "via laptop · 3 min ago" in view.title
    assert "via laptop · 3 min ago" in status_text(shown, later, tz=timezone.utc, clock_24h=True)
    assert status_json(shown, later, tz=timezone.utc)["via"] == "laptop"
    assert json.loads(json.dumps(b.cache()))["pro"]["five_hour_pct"] == 47  # oh-my-claude's `jq .pro` too


def test_once_the_shared_reading_is_an_interval_old_the_next_machine_fetches_and_the_first_follows(
    machines, httpserver
):
    a, b = machines("laptop"), machines("desktop")
    answer(httpserver, 10.0)
    run_fetch(a.cache_file, NOW, env=a.env)
    answer(httpserver, 12.0)
    assert run_fetch(b.cache_file, NOW + timedelta(seconds=61), env=b.env).fetched
    assert not run_fetch(a.cache_file, NOW + timedelta(seconds=80), env=a.env).fetched
    held = cache.read_state(a.cache_file)
    assert (held.via_host, held.usage.five_hour.utilization) == ("desktop", 12.0)
    assert held.usage.models, "the per-model windows came with the shared reading"
    assert len(httpserver.log) == 2


def test_the_snapshot_is_one_private_versioned_file_per_host_without_tokens_paths_or_addresses(machines, share,
                                                                                               httpserver):
    a = machines("laptop")
    answer(httpserver, 47.0)
    run_fetch(a.cache_file, NOW, env=a.env)
    path = snapshot_file(share, "laptop")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    for secret in (TOKEN_PART, "sk-ant", ACCOUNT, EMAIL, str(a.home), "/", "org-1"):
        assert secret not in text.replace("claude-tray snapshot", "").replace("+00:00", ""), secret
    data = json.loads(text)
    assert (data["format"], data["version"], data["host"]) == ("claude-tray snapshot", 1, "laptop")
    assert data["account"] == fingerprint_of(ACCOUNT) and len(data["account"]) == 16
    assert data["reading"]["usage"]["five_hour"]["utilization"] == 47.0
    assert [p.name for p in path.parent.iterdir()] == ["laptop.json"]  # no temp file left


def test_a_429_seen_by_one_machine_holds_every_machine_even_a_manual_refresh(machines, httpserver):
    a, b = machines("laptop"), machines("desktop")
    answer(httpserver, 30.0)
    run_fetch(a.cache_file, NOW, env=a.env)
    httpserver.clear_all_handlers()
    httpserver.expect_request("/api/oauth/usage").respond_with_json(
        {"error": {"type": "rate_limit_error", "message": "Rate limited."}}, status=429,
        headers={"Retry-After": "1800"})
    failed = run_fetch(a.cache_file, NOW + timedelta(seconds=70), env=a.env)
    assert failed.fetched and failed.error is not None
    asked = len(httpserver.log)
    for minutes in (2, 10, 29):
        at = NOW + timedelta(minutes=minutes)
        assert not run_fetch(b.cache_file, at, env=b.env).fetched
        assert not run_fetch(b.cache_file, at + timedelta(seconds=15), env=b.env, manual=True).fetched
    assert len(httpserver.log) == asked
    held = cache.read_state(b.cache_file)
    assert held.gate.server_until is not None and held.gate.server_until >= NOW + timedelta(seconds=70 + 1800)
    view = build_view(held, NOW + timedelta(minutes=5), tz=timezone.utc, clock_24h=True)
    assert view.look is Look.RATE_LIMITED
    answer(httpserver, 31.0)
    assert run_fetch(b.cache_file, NOW + timedelta(seconds=70 + 1800 * 1.06), env=b.env).fetched  # after it: asks


def test_a_status_line_on_a_remote_box_feeds_the_tray_elsewhere_with_no_request(machines, share, httpserver):
    remote, laptop = machines("devbox"), machines("laptop")
    out = io.StringIO()
    assert statusline_main(stdin=io.StringIO(statusline_input(62.0)), stdout=out, env=remote.env, now=NOW) == 0
    assert out.getvalue() == "5h:62% 7d:41%\n"
    assert json.loads(snapshot_file(share, "devbox").read_text())["reading"]["source"] == "statusline"
    assert not run_fetch(laptop.cache_file, NOW + timedelta(seconds=30), env=laptop.env).fetched
    held = cache.read_state(laptop.cache_file)
    assert (held.via_host, held.source, held.usage.five_hour.utilization) == ("devbox", "statusline", 62.0)
    assert httpserver.log == []


def test_the_status_line_publishes_only_when_it_records(machines, share):
    remote = machines("devbox")
    statusline_main(stdin=io.StringIO(statusline_input(62.0)), stdout=io.StringIO(), env=remote.env, now=NOW)
    first = snapshot_file(share, "devbox").read_bytes()
    statusline_main(stdin=io.StringIO(statusline_input(62.0)), stdout=io.StringIO(), env=remote.env,
                    now=NOW + timedelta(seconds=5))
    assert snapshot_file(share, "devbox").read_bytes() == first  # the same figures within a minute: no write
    statusline_main(stdin=io.StringIO(statusline_input(63.0)), stdout=io.StringIO(), env=remote.env,
                    now=NOW + timedelta(seconds=9))
    assert json.loads(snapshot_file(share, "devbox").read_text())["reading"]["usage"]["five_hour"]["utilization"] == 63


def test_the_freshest_reading_of_several_machines_wins(machines, share):
    a = machines("laptop")
    write(share, "desktop", fetched=NOW - timedelta(seconds=40), five=20.0)
    write(share, "devbox", fetched=NOW - timedelta(seconds=10), five=25.0)
    write(share, "old-pc", fetched=NOW - timedelta(hours=3), five=90.0)
    assert not run_fetch(a.cache_file, NOW, env=a.env).fetched
    held = cache.read_state(a.cache_file)
    assert (held.via_host, held.usage.five_hour.utilization) == ("devbox", 25.0)


def test_a_reading_taken_from_another_machine_is_never_published_as_this_ones(machines, share, httpserver):
    a, b = machines("laptop"), machines("desktop")
    answer(httpserver, 47.0)
    run_fetch(a.cache_file, NOW, env=a.env)
    run_fetch(b.cache_file, NOW + timedelta(seconds=20), env=b.env)
    held = cache.read_state(b.cache_file)
    assert snapshot_of(held, host="desktop", account="x", now=NOW) is None
    assert not snapshot_file(share, "desktop").exists()


def test_snapshots_of_another_account_from_the_future_half_synced_or_conflict_copies_are_ignored_and_named(
    machines, share
):
    a = machines("laptop")
    write(share, "other-account", fetched=NOW, five=99.0, account=fingerprint_of(OTHER_ACCOUNT))
    write(share, "future", fetched=NOW + timedelta(hours=2), five=98.0)
    good = json.dumps(snapshot(host="desktop", fetched=NOW, five=97.0).to_dict())
    (share / "claude-tray" / "half.json").write_text(good[: len(good) // 2])
    (share / "claude-tray" / "desktop.sync-conflict-20261130-115900-ABCDEFG.json").write_text(good)
    (share / "claude-tray" / "desktop (conflicted copy 2026-11-30).json").write_text(good)
    (share / "claude-tray" / "renamed.json").write_text(good)
    (share / "claude-tray" / ".desktop.json.0a1b2c.tmp").write_text(good)
    assert not any(s for s in link.scan(link.share_of(a.env, None), NOW).usable)
    notes = "\n".join(link.notes(link.scan(link.share_of(a.env, None), NOW), NOW))
    assert "other-account.json: another account's" in notes
    assert "future.json: from the future (2 h ahead" in notes
    assert "half.json: does not parse" in notes
    assert "desktop.sync-conflict-20261130-115900-ABCDEFG.json: a sync conflict copy" in notes
    assert "desktop (conflicted copy 2026-11-30).json: a sync conflict copy" in notes
    assert "renamed.json: holds the snapshot of desktop" in notes
    assert ".tmp" not in notes
    assert run_fetch(a.cache_file, NOW, env=a.env).fetched is False or True  # never raises
    state = cache.read_state(a.cache_file)
    assert state.via_host is None and (state.usage is None or state.usage.five_hour.utilization < 90)


def test_without_its_own_account_id_a_machine_takes_no_reading_from_the_share(machines, share):
    a = machines("laptop", account=None)
    write(share, "desktop", fetched=NOW, five=50.0)
    found = link.scan(link.share_of(a.env, None), NOW)
    assert found.usable == ()
    assert "this machine's account is unknown" in found.ignored[0].ignored


def test_the_debug_text_names_the_share_and_each_ignored_file(machines, share):
    a = machines("laptop")
    write(share, "desktop", fetched=NOW - timedelta(minutes=2), five=50.0)
    (share / "claude-tray" / "x.sync-conflict-1.json").write_text("{}")
    from tray.show.debugtext import debug_text

    state = link.shown(a.env, state_from_cache({}), NOW)
    text = debug_text(state, NOW, tz=timezone.utc,
                      share_notes=link.notes(link.scan(link.share_of(a.env, state), NOW), NOW))
    assert "Reading: from api, shared by desktop" in text
    assert "Share: desktop wrote 2 min ago, reading from api 2 min ago" in text
    assert "Share: ignored x.sync-conflict-1.json: a sync conflict copy" in text


def test_a_missing_share_never_stops_the_fetch(tmp_path, httpserver):
    a = Machine(tmp_path, "laptop", tmp_path / "not-mounted", url=httpserver.url_for("/api/oauth/usage"))
    answer(httpserver, 47.0)
    assert run_fetch(a.cache_file, NOW, env=a.env).fetched
    assert not (tmp_path / "not-mounted").exists()  # an unmounted share is never created in its place


def test_status_on_a_machine_without_a_tray_shows_the_shared_reading_without_writing(machines, share, capsys):
    from tray.cli import main

    b = machines("desktop")
    now = datetime.now(timezone.utc)
    write(share, "laptop", fetched=now - timedelta(minutes=3, seconds=5), five=47.0)
    assert main(["status"], b.env) == 0
    out = capsys.readouterr().out
    assert "5-hour 47%" in out and "via laptop · 3 min ago" in out
    assert not b.cache_file.exists()
    assert main(["status", "--json"], b.env) == 0
    assert json.loads(capsys.readouterr().out)["via"] == "laptop"


def test_the_share_dir_setting_turns_sharing_on_and_the_environment_overrides_it(machines, share, tmp_path):
    from tray.store.settings import change_settings

    b = machines("desktop")
    del b.env["CLAUDE_TRAY_SHARE_DIR"]
    write(share, "laptop", fetched=NOW, five=47.0)
    assert link.share_of(b.env, cache.read_state(b.cache_file)) is None
    change_settings(b.cache_file, lambda s: s.with_text("share_dir", str(share)), now=NOW)
    assert link.shown(b.env, cache.read_state(b.cache_file), NOW).via_host == "laptop"
    assert link.share_of({**b.env, "CLAUDE_TRAY_SHARE_DIR": "off"}, cache.read_state(b.cache_file)) is None


def test_doctor_checks_the_share_hosts_ages_and_clock_skew(machines, share, httpserver):
    from tray.doctor import share_checks

    a = machines("laptop")
    answer(httpserver, 47.0)
    run_fetch(a.cache_file, NOW, env=a.env)
    write(share, "desktop", fetched=NOW - timedelta(minutes=2), five=40.0, written=NOW - timedelta(minutes=1))
    write(share, "fast-clock", fetched=NOW + timedelta(minutes=3), five=40.0, written=NOW + timedelta(minutes=3))
    (share / "claude-tray" / "desktop.sync-conflict-1.json").write_text("{}")
    checks = "\n".join(f"{c.mark} {c.title} {c.fix}" for c in share_checks(a.env, now=NOW + timedelta(seconds=30)))
    assert "✓ Share folder" in checks and "writable" in checks
    assert "desktop: snapshot written 1 min ago" in checks
    assert "laptop (this machine): snapshot written just now" in checks
    assert "fast-clock" in checks and "ahead of this machine" in checks
    assert "desktop.sync-conflict-1.json" in checks


def test_doctor_fails_a_missing_share_folder_with_the_fix(tmp_path):
    from tray.doctor import BAD, share_checks

    a = Machine(tmp_path, "laptop", tmp_path / "gone")
    checks = share_checks(a.env, now=NOW)
    assert checks[0].mark == BAD and "missing" in checks[0].title and checks[0].fix


def test_a_simulated_day_three_machines_share_one_budget_and_none_asks_inside_a_retry_after(
    tmp_path, share, monkeypatch
):
    """Three trays of one account tick every minute (at :00, :20, :40) for a day with usage changing: together
    they ask at most once a minute (three independent trays would ask 180 times an hour), and after a 429 with
    Retry-After: 1800 not one of them asks before it has passed.

    4,320 fetch cycles: what they cost is not under test here, so the disk is not synced and the pace history
    (tests/test_history.py) is not kept; everything else is the real cycle, files and loopback server."""
    from pytest_httpserver import HTTPServer as Server

    import tray.fetching.fetch
    import tray.store.history

    monkeypatch.setattr(os, "fsync", lambda fd: None)
    for module in (tray.fetching.fetch, tray.store.history):
        monkeypatch.setattr(module, "append_reading", lambda history, usage, now: history)

    clock = [NOW]
    asked: list[datetime] = []
    limited = NOW + timedelta(hours=10)
    retry_after = 1800

    def handle(request: Request) -> Response:
        asked.append(clock[0])
        if limited <= clock[0] < limited + timedelta(seconds=30):
            return Response(json.dumps({"error": {"type": "rate_limit_error"}}), status=429,
                            headers={"Retry-After": str(retry_after)}, content_type="application/json")
        body = usage_body(float(len(asked) % 100), resets=(clock[0] + timedelta(hours=4)).isoformat())
        return Response(json.dumps(body), content_type="application/json")

    with Server() as server:
        server.expect_request("/api/oauth/usage").respond_with_handler(handle)
        url = server.url_for("/api/oauth/usage")
        trays = [Machine(tmp_path / "day", host, share, url=url) for host in ("laptop", "desktop", "devbox")]
        rng = random.Random(17)
        for minute in range(24 * 60):
            for offset, tray in zip((0, 20, 40), trays):
                clock[0] = NOW + timedelta(minutes=minute, seconds=offset)
                run_fetch(tray.cache_file, clock[0], env=tray.env, rng=rng)
    per_hour = [sum(1 for t in asked if NOW + timedelta(hours=h) <= t < NOW + timedelta(hours=h + 1))
                for h in range(24)]
    print(f"usage requests per hour, three machines: {per_hour}")
    assert max(per_hour) <= 60, per_hour
    assert sum(per_hour) >= 24 * 50  # they still kept the figures fresh
    rate_limited_at = next(t for t in asked if t >= limited)
    inside = [t for t in asked if rate_limited_at < t < rate_limited_at + timedelta(seconds=retry_after)]
    assert inside == []


# --- helpers --------------------------------------------------------------------------------------------------

def snapshot(*, host: str, fetched: datetime, five: float, account: str | None = None,
             written: datetime | None = None) -> Snapshot:
    from tray.model.usage import parse_usage

    return Snapshot(host=host, account=account or fingerprint_of(ACCOUNT), written_at=written or fetched,
                    source="api", fetched_at=fetched, usage=parse_usage(usage_body(five)))


def write(share: Path, host: str, **options) -> None:
    from tray.share.folder import write_snapshot

    write_snapshot(str(share), snapshot(host=host, **options))


def test_scan_reads_a_folder_it_cannot_list_as_a_problem_not_a_crash(tmp_path):
    found = scan_folder(str(tmp_path / "nowhere"), now=NOW, account="a", own_host="me")
    assert found.usable == () and "missing" in found.problem
    os.makedirs(tmp_path / "empty")
    assert scan_folder(str(tmp_path / "empty"), now=NOW, account="a", own_host="me").seen == ()


def test_the_account_is_read_from_claude_codes_file_and_only_its_salted_hash_leaves_memory(tmp_path):
    import hashlib

    from tray.sources.account import account_fingerprint

    home = tmp_path / "home"
    home.mkdir()
    projects = {f"/work/p{i}": {"history": [{"display": 'said "oauthAccount": {"accountUuid": "x"}'}]}
                for i in range(2000)}
    (home / ".claude.json").write_text(json.dumps({"projects": projects, "oauthAccount": {
        "accountUuid": ACCOUNT, "emailAddress": EMAIL}}))
    fingerprint = account_fingerprint({"HOME": str(home)})
    assert fingerprint == fingerprint_of(ACCOUNT) and len(fingerprint) == 16
    assert fingerprint not in hashlib.sha256(ACCOUNT.encode()).hexdigest()  # salted: not a plain hash of the id
    config = tmp_path / "work-config"
    config.mkdir()
    (config / ".claude.json").write_text(json.dumps({"oauthAccount": {"accountUuid": OTHER_ACCOUNT}}))
    assert account_fingerprint({"HOME": str(home), "CLAUDE_CONFIG_DIR": str(config)}) == fingerprint_of(OTHER_ACCOUNT)
    for broken in ('{"oauthAccount": null}', '{"oauthAccount": {"accountUuid": "4f1c2b9e', "", "[]"):
        (config / ".claude.json").write_text(broken)
        assert account_fingerprint({"HOME": str(home), "CLAUDE_CONFIG_DIR": str(config)}) is None


def test_a_snapshot_of_a_newer_format_is_ignored_with_the_reason(machines, share):
    a = machines("laptop")
    data = snapshot(host="desktop", fetched=NOW, five=50.0).to_dict()
    data["version"] = 2
    (share / "claude-tray").mkdir(exist_ok=True)
    (share / "claude-tray" / "desktop.json").write_text(json.dumps(data))
    found = link.scan(link.share_of(a.env, None), NOW)
    assert found.usable == () and "format version 2 is newer" in found.ignored[0].ignored


def test_the_status_line_publishing_to_the_share_still_imports_only_the_standard_library(machines, share):
    import subprocess
    import sys

    remote = machines("devbox")
    probe = (
        "import sys, io\n"
        "sys.stdin = io.StringIO(sys.argv[1])\n"
        "from tray.cli import main\n"
        "main(['statusline'])\n"
        "third = sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names"
        " and m.split('.')[0] not in ('tray', 'tests') and not m.startswith('_'))\n"
        "print('THIRD-PARTY:', ','.join(sorted(set(third))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, statusline_input(62.0)], capture_output=True, text=True,
                            env=remote.cli_env(), timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("5h:62% 7d:41%") and result.stdout.strip().endswith("THIRD-PARTY:")
    assert json.loads(snapshot_file(share, "devbox").read_text())["reading"]["source"] == "statusline"


def test_a_reading_stamped_a_little_ahead_by_a_fast_clock_is_taken_in_once_not_over_a_newer_one_of_ours(
    machines, share, httpserver
):
    a = machines("laptop")
    write(share, "fast-clock", fetched=NOW + timedelta(minutes=3), five=40.0)
    assert not run_fetch(a.cache_file, NOW, env=a.env).fetched
    assert cache.read_state(a.cache_file).via_host == "fast-clock"
    answer(httpserver, 44.0)
    assert run_fetch(a.cache_file, NOW + timedelta(seconds=20), env=a.env, manual=True).fetched
    run_fetch(a.cache_file, NOW + timedelta(seconds=40), env=a.env)
    held = cache.read_state(a.cache_file)
    assert (held.via_host, held.usage.five_hour.utilization) == (None, 44.0)  # ours stays: it is the newer one


def test_a_tray_takes_another_machines_snapshot_in_as_soon_as_it_arrives_and_shows_it_via_that_host(
    machines, share, httpserver
):
    from tests.test_app import StandInIcon
    from tray.desktop.app import TrayApp

    a, b = machines("laptop"), machines("desktop")
    clock = {"now": NOW}
    tray = TrayApp(env=b.env, cache_file=b.cache_file, base_interval=60, clock=lambda: clock["now"])
    tray.icon = icon = StandInIcon()
    tray.follow_cache()  # the first look
    assert tray._jobs.qsize() == 0
    answer(httpserver, 47.0)
    run_fetch(a.cache_file, NOW, env=a.env)  # A's snapshot lands in the share
    clock["now"] = NOW + timedelta(seconds=5)
    tray.follow_cache()
    assert tray._jobs.qsize() == 1, "a fetch cycle was asked for at once, not at the next tick"
    tray.fetch(manual=tray._jobs.get())
    tray.redraw()
    assert len(httpserver.log) == 1  # B's cycle took A's reading in and asked nothing
    assert icon.titles[-1].startswith("Claude usage: 5-hour 47 %") and "via laptop · just now" in icon.titles[-1]
    assert tray.view.status_line == "Updated via laptop · just now"


def test_claude_codes_own_cached_figures_taken_in_on_one_machine_are_published_to_the_others(machines, share):
    a, b = machines("laptop"), machines("desktop")
    claude_json = json.loads((a.home / ".claude.json").read_text())
    claude_json["cachedUsageUtilization"] = {"fetchedAtMs": int((NOW - timedelta(seconds=30)).timestamp() * 1000),
                                             "accountUuid": ACCOUNT, "utilization": usage_body(33.0)}
    (a.home / ".claude.json").write_text(json.dumps(claude_json))
    run_fetch(a.cache_file, NOW, env=a.env)
    assert json.loads(snapshot_file(share, "laptop").read_text())["reading"]["source"] == "claude-code"
    assert not run_fetch(b.cache_file, NOW + timedelta(seconds=10), env=b.env).fetched
    held = cache.read_state(b.cache_file)
    assert (held.via_host, held.usage.five_hour.utilization) == ("laptop", 33.0)
