"""The canary token through every command and failure path: never in stdout, stderr, logs, the cache, the
debug view, a notification or an exception; the Authorization header never reaches another host (SPEC §8).

Process arguments are checked on the real running tray in test_soak.py.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.http_helpers import closed_port
from tests.reliability.conftest import TOKEN, TOKEN_CORE, cache_of, canary_credentials, tray_env
from tests.test_app import StandInIcon
from tray.cli import main
from tray.desktop.app import TrayApp
from tray.errors import TrayError
from tray.fetching.fetch import run_fetch
from tray.show.debugtext import debug_text
from tray.show.notify import due_notifications
from tray.store.cache import read_state

ECHO = f"Invalid bearer token {TOKEN}"
# name -> (status, body, headers): every answer the server can give, several of them echoing the token.
ANSWERS = {
    "ok": (200, "basic.json", {}),
    "over_limit": (200, "over_limit.json", {}),
    "401_echo": (401, json.dumps({"error": {"type": "authentication_error", "message": ECHO}}), {"X-Echo": TOKEN}),
    "403": (403, "error_403_scope.json", {}),
    "429": (429, "error_429.json", {"Retry-After": "120"}),
    "500_echo": (500, f"<html><body><h1>Oops</h1><p>Authorization: Bearer {TOKEN}</p></body></html>", {}),
    "502": (502, "error_502.html", {}),
    "not_json_echo": (200, f"token={TOKEN}", {}),
    "redirect": (302, "", {}),
}
CREDENTIALS = {"expired": "expired.json", "signed_out": "signed_out.json", "no_scope": "no_profile_scope.json",
               "truncated": None}
COMMANDS = (["status"], ["status", "--json"], ["refresh"], ["refresh", "--debug"], ["statusline"], ["doctor"],
            ["autostart", "status"], ["render", "OUT"])


def chain(error: BaseException | None) -> Iterator[BaseException]:
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


@pytest.fixture
def other_host() -> Iterator[HTTPServer]:
    with HTTPServer(host="localhost", port=0) as server:  # another host name and port
        server.expect_request("/elsewhere").respond_with_json({"five_hour": None})
        yield server


def scenario_home(home: Path, fixtures: Path, case: str) -> None:
    target = home / ".claude" / ".credentials.json"
    if case in CREDENTIALS:
        name = CREDENTIALS[case]
        whole = canary_credentials(fixtures, name) if name else canary_credentials(fixtures)
        target.write_bytes(whole if name else whole[: len(whole) * 2 // 3])  # truncated mid-token


@pytest.mark.parametrize("case", [*ANSWERS, *CREDENTIALS, "network_down", "refused_url"])
def test_the_token_appears_in_no_output_log_cache_view_notification_or_exception(
    case: str, home_factory, fixtures: Path, httpserver: HTTPServer, other_host: HTTPServer, caplog,
    capsys, monkeypatch, tmp_path: Path, figures,
) -> None:
    home = home_factory()
    scenario_home(home, fixtures, case)
    url = httpserver.url_for("/u")
    if case == "network_down":
        url = f"http://127.0.0.1:{closed_port()}/u"
    elif case == "refused_url":
        url = "http://example.com/api/oauth/usage"
    status, body, headers = ANSWERS.get(case, ANSWERS["ok"])
    if case == "redirect":
        headers = {"Location": other_host.url_for("/elsewhere")}
    if body.endswith((".json", ".html")):
        body = (fixtures / "api" / body).read_text()
    httpserver.expect_request("/u").respond_with_data(body, status=status, headers=headers)
    env = tray_env(home, url, XDG_CONFIG_HOME=str(home / ".config"))
    caplog.set_level(logging.DEBUG)

    seen: dict[str, str] = {}
    for argv in COMMANDS:
        argv = [str(tmp_path / "out.png") if a == "OUT" else a for a in argv]
        monkeypatch.setattr(sys, "stdin", io.StringIO(
            '{"rate_limits": {"five_hour": {"used_percentage": 23}}, "token": "' + TOKEN + '"}'))
        code = main(argv, env)
        captured = capsys.readouterr()
        seen[" ".join(argv[:2]) + " (stdout, stderr)"] = f"{code} {captured.out} {captured.err}"

    now = datetime.now(timezone.utc)
    try:
        error = run_fetch(cache_of(home), now + timedelta(seconds=20), env=env, manual=True).error
    except TrayError as raised:  # a refused URL is raised, not recorded
        error = raised
    seen["exceptions"] = " ".join(f"{e!s} {e!r} {getattr(e, 'body_excerpt', '')}" for e in chain(error))
    state = read_state(cache_of(home))
    seen["debug view"] = debug_text(state, now)
    seen["notifications"] = " ".join(n.title + n.message for n in due_notifications(state, now))
    app = TrayApp(env=env, cache_file=cache_of(home), base_interval=60, clock=lambda: now + timedelta(seconds=40))
    app.icon = StandInIcon()
    app.fetch(manual=True)
    app.redraw()
    seen["tray notifications"] = " ".join(f"{title} {message}" for message, title in app.icon.notes)
    seen["tray menu"] = " ".join((*app.view.lines, app.view.status_line, app.view.title, app.debug_text()))
    seen["cache file"] = cache_of(home).read_text() if cache_of(home).exists() else ""
    seen["logs"] = caplog.text

    leaks = [where for where, text in seen.items() if TOKEN_CORE[:12] in text]
    assert leaks == []
    assert other_host.log == []  # a redirect is never followed, with or without the token
    figures(f"secrets.{case}", places_checked=len(seen), commands=len(COMMANDS), leaks=0,
            bytes_scanned=sum(len(t) for t in seen.values()))
