"""A simulated day beside oh-my-claude (SPEC §3, §4): the tray and a faithful stand-in of oh-my-claude's writer
and status line share one cache file and one account's rate-limit budget. Simulated clock, no wall time.

The day (UTC): the tray runs all day, ticking every minute at :30. Claude Code (and with it oh-my-claude's
status line, every 20 s) runs 07:05–12:00 and 13:00–22:00; its updater rewrites the file whole whenever it looks
a minute old, and its own fetch fails (`pro: null`) every third time and whenever the server refuses. The server
answers 429 with `Retry-After: 1200` from 07:00 to 07:20 and refuses the first token from 12:30 (401); Claude
Code brings a new token at 15:00. The 5-hour window climbs to 95 % in every period.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.omc_standin import OhMyClaude
from tests.reliability.conftest import RECORDED, cache_of, tray_env
from tests.test_app import StandInIcon
from tray.desktop.app import TrayApp

DAY = datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc)  # a day before the wall clock: mtimes tell them apart
# The recorded run lives the whole day; CI stops at 23:00, after every phase (the quiet night is the tray alone,
# a minute of fetching at a time, and a third of the cost: each cache write parses the whole history).
SPAN = timedelta(days=1) if RECORDED else timedelta(hours=17)
FIRST = "sk-ant-oat01-SHAREDWORLDFIRSTTOKENAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-testonly"
SECOND = "sk-ant-oat01-SHAREDWORLDSECONDTOKENBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB-testonly"


def at(hour: float) -> datetime:
    return DAY.replace(hour=0) + timedelta(hours=hour)


def credentials(token: str) -> str:
    return json.dumps({"claudeAiOauth": {"accessToken": token, "expiresAt": 4102444800000,
                                         "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}})


class Account:
    """The server side of the account: one script for every request, the tray's (over HTTP) and oh-my-claude's."""

    def __init__(self) -> None:
        self.now = DAY
        self.log: list[dict] = []  # every request on the machine: who, when, token, status, retry_after

    def answer(self, token: str) -> tuple[int, dict, dict]:
        now = self.now
        if at(7) <= now < at(7 + 1 / 3):
            return 429, {"Retry-After": "1200"}, {"error": {"type": "rate_limit_error"}}
        if now >= at(12.5) and token == FIRST:
            return 401, {}, {"error": {"type": "authentication_error", "message": "Invalid bearer token"}}
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=now.hour % 5)
        into = (now - start).total_seconds() / 3600
        return 200, {}, {
            "five_hour": {"utilization": round(20 * into, 1), "resets_at": (start + timedelta(hours=5)).isoformat()},
            "seven_day": {"utilization": round(30 + (now - DAY).total_seconds() / 7200, 1),
                          "resets_at": (DAY + timedelta(days=3)).isoformat()},
            "seven_day_opus": {"utilization": 12.0, "resets_at": (DAY + timedelta(days=3)).isoformat()},
            "extra_usage": {"is_enabled": True, "monthly_limit": 2000, "used_credits": 525, "utilization": 26.25,
                            "currency": "EUR"},
        }

    def __call__(self, request: Request) -> Response:  # the tray's requests
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        status, headers, body = self.answer(token)
        self.log.append({"who": "tray", "at": self.now, "token": token, "status": status,
                         "retry_after": float(headers["Retry-After"]) if "Retry-After" in headers else None})
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

    def peer_fetch(self, token: str, calls: list[int]) -> dict | None:  # oh-my-claude's own request
        calls[0] += 1
        status, _, body = self.answer(token)
        self.log.append({"who": "oh-my-claude", "at": self.now, "token": token, "status": status,
                         "retry_after": None})
        return body if status == 200 and calls[0] % 3 else None  # and every third one fails anyway


def claude_code_running(now: datetime) -> bool:
    return at(7 + 5 / 60) <= now < at(12) or at(13) <= now < at(22)


def test_a_day_beside_oh_my_claude(home_factory, httpserver: HTTPServer, figures) -> None:
    home = home_factory()
    creds = home / ".claude" / ".credentials.json"
    creds.write_text(credentials(FIRST))
    account = Account()
    httpserver.expect_request("/u").respond_with_handler(account)
    path = cache_of(home)
    clock = lambda: account.now  # noqa: E731
    app = TrayApp(env=tray_env(home, httpserver.url_for("/u")), cache_file=path, base_interval=60, clock=clock)
    icon = StandInIcon()
    app.icon = icon
    calls = [0]
    token = {"now": FIRST}
    omc = OhMyClaude(path, clock, lambda: account.peer_fetch(token["now"], calls))

    notes: list[tuple[datetime, str, str | None]] = []
    screens: list[tuple[datetime, str, tuple[str, ...]]] = []
    code_updates: list[datetime] = []
    step = timedelta(seconds=10)
    while account.now < DAY + SPAN:
        now = account.now
        if now == at(15):
            token["now"] = SECOND
            creds.write_text(credentials(SECOND))
        if claude_code_running(now) and now.second % 20 == 0:
            before = len(omc.updates)
            omc.status_line()
            if len(omc.updates) > before:
                code_updates.append(now)
        if now.second == 30:
            sent = len(icon.notes)
            app.redraw()
            app.fetch(manual=False)
            notes += [(now, message, title) for message, title in icon.notes[sent:]]
            screens.append((now, app.view.status_line, app.view.lines))
            _simulated_mtime(path, now)
        account.now = now + step

    ours = [r for r in account.log if r["who"] == "tray"]
    inside_retry_after = 0
    for i, answer in enumerate(ours):
        if answer["status"] == 429:
            until = answer["at"] + timedelta(seconds=answer["retry_after"] or 300)
            inside_retry_after += sum(1 for later in ours[i + 1:] if later["at"] < until)
    first_refusal = next(r["at"] for r in ours if r["status"] == 401)
    refused_again = [r for r in ours if r["token"] == FIRST and r["at"] > first_refusal]
    machine = sorted(r["at"] for r in account.log)
    machine_gaps = [(b - a).total_seconds() for a, b in zip(machine, machine[1:])]
    running_gaps = [(b - a).total_seconds() for a, b in zip(code_updates, code_updates[1:])
                    if claude_code_running(a) and claude_code_running(b) and b - a < timedelta(minutes=30)]
    # One pop-up per threshold per window period (a 5-hour window resets at 00:00, 05:00, 10:00 …).
    periods = [(title, (moment - DAY.replace(hour=0)).total_seconds() // (5 * 3600)) for moment, _, title in notes]
    repeated = len(periods) - len(set(periods))
    first_reading = next(moment for moment, line, _ in screens if "No reading yet" not in line)
    blank = [(moment, line) for moment, line, lines in screens
             if moment >= first_reading and not any(text.startswith("5-hour ") for text in lines)]
    last_lines = screens[-1][2]

    figures(
        "shared_world.day", simulated_hours=SPAN.total_seconds() / 3600, tray_requests=len(ours),
        oh_my_claude_updates=len(omc.updates), oh_my_claude_pro_null=sum(1 for p in omc.pro_history if p is None),
        notifications=len(notes), repeated_notifications=repeated, requests_inside_retry_after=inside_retry_after,
        requests_with_refused_token=len(refused_again), min_gap_machine_wide_s=min(machine_gaps),
        max_code_update_gap_s=max(running_gaps), screens_without_reading=len(blank),
    )
    assert repeated == 0 and notes  # the 80 and 90 % of each period, once each
    assert inside_retry_after == 0
    assert refused_again == []
    assert max(running_gaps) <= 120  # oh-my-claude's `code` segment kept moving beside the tray
    assert min(machine_gaps) >= 60  # at most one usage request per interval, oh-my-claude's included
    assert blank == []  # the last good reading stayed on screen throughout
    assert any(line.startswith("7-day Opus") for line in last_lines)  # per-model windows survived the rewrites
    assert any(line.startswith("Extra usage") for line in last_lines)
    assert any(r["token"] == SECOND and r["status"] == 200 for r in account.log)  # the new token was used


def _simulated_mtime(path: Path, now: datetime) -> None:
    """The filesystem's clock is the simulated one: a modification time our writes stamped with the wall clock
    (later than any simulated moment) becomes the simulated now; one a write of ours kept stays as it was."""
    if path.exists() and path.stat().st_mtime > now.timestamp() + 1:
        os.utime(path, (now.timestamp(), now.timestamp()))
