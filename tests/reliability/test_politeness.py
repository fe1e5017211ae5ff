"""A simulated day of two trays, Claude Code's status line and a user clicking Refresh, against a loopback
server that rate-limits and fails at times: requests against SPEC §4's budget (injected clock, no sleeps)."""

from __future__ import annotations

import heapq
import io
import json
from datetime import datetime, timedelta, timezone

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.reliability.conftest import RECORDED, TOKEN, cache_of, tray_env
from tests.test_app import StandInIcon, usage_payload
from tray import statusline
from tray.desktop.app import TrayApp
from tray.fetching.gate import DEFAULT_INTERVAL_S, MIN_INTERVAL_S, RATE_LIMIT_DEFAULT_S

DAY = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)
# The recorded run lives a whole day; CI the same script compressed into 6 hours (every cache read
# parses up to 720 history readings, so a full day costs a minute and a half).
SPAN_H = 24 if RECORDED else 6
SECOND_TOKEN = TOKEN.replace("CANARY", "SECOND")
THIRD_TOKEN = TOKEN.replace("CANARY", "THIRDT")


def at(hours: float) -> datetime:
    """`hours` on the script's 24-hour dial, placed on the simulated span."""
    return DAY + timedelta(hours=hours * SPAN_H / 24)


def credentials(token: str, expires: datetime) -> str:
    return json.dumps({"claudeAiOauth": {"accessToken": token, "expiresAt": int(expires.timestamp() * 1000),
                                         "scopes": ["user:inference", "user:profile"], "subscriptionType": "pro"}})


class Scripted:
    """The server's day (on the 24-hour dial of `at`): 429 with Retry-After 08:00–08:30, 429 without
    11:00–11:20, 503 14:00–14:30, 401 for the first token from 17:00; otherwise figures that change."""

    def __init__(self) -> None:
        self.now = DAY
        self.manual = False
        self.log: list[dict] = []

    def __call__(self, request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        status, headers, body = 200, {}, usage_payload(5 + self.now.hour * 3 + self.now.minute // 20, 30, self.now)
        if at(8) <= self.now < at(8.5):
            status, headers, body = 429, {"Retry-After": "600"}, {"error": {"type": "rate_limit_error"}}
        elif at(11) <= self.now < at(11 + 1 / 3):
            status, body = 429, {"error": {"type": "rate_limit_error"}}
        elif at(14) <= self.now < at(14.5):
            status, body = 503, {"error": {"type": "overloaded_error"}}
        elif self.now >= at(17) and token == TOKEN:
            status, body = 401, {"error": {"type": "authentication_error", "message": "Invalid bearer token"}}
        self.log.append({"at": self.now, "manual": self.manual, "status": status, "token": token,
                         "retry_after": float(headers["Retry-After"]) if "Retry-After" in headers else None})
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def test_a_day_of_two_trays_a_status_line_and_clicks_stays_within_the_budget(
    home_factory, httpserver: HTTPServer, figures
) -> None:
    home = home_factory()
    creds_file = home / ".claude" / ".credentials.json"
    creds_file.write_text(credentials(TOKEN, at(48)))
    server = Scripted()
    httpserver.expect_request("/u").respond_with_handler(server)
    env = tray_env(home, httpserver.url_for("/u"))
    trays = []
    for _ in range(2):
        app = TrayApp(env=env, cache_file=cache_of(home), base_interval=DEFAULT_INTERVAL_S,
                      clock=lambda: server.now)
        app.icon = StandInIcon()
        trays.append(app)

    # (moment, order, what): each tray ticks every minute, out of phase; Claude Code runs 09:30–10:30.
    events: list[tuple[datetime, int, str]] = []
    for minute in range(SPAN_H * 60):
        events.append((DAY + timedelta(minutes=minute), 0, "tray0"))
        events.append((DAY + timedelta(minutes=minute, seconds=23), 1, "tray1"))
    session = int((at(10.5) - at(9.5)).total_seconds() // 30)
    events += [(at(9.5) + timedelta(seconds=30 * i), 2, "statusline") for i in range(session)]
    clicks = [at(8) + timedelta(minutes=2), at(8) + timedelta(minutes=2, seconds=5), at(12), at(17.5)]
    events += [(moment, 3, "click") for moment in clicks]
    events += [(at(18), 4, "new-token"), (at(20), 4, "expire"), (at(21), 4, "third-token")]
    heapq.heapify(events)

    while events:
        server.now, _, what = heapq.heappop(events)
        if what.startswith("tray"):
            app = trays[int(what[-1])]
            if server.now.minute % 10 == 0:
                app.redraw()
            app.fetch(manual=False)
        elif what == "statusline":
            line = {"rate_limits": {"five_hour": {"used_percentage": 40}, "seven_day": {"used_percentage": 30}}}
            statusline.main(io.StringIO(json.dumps(line)), io.StringIO(), env, server.now)
        elif what == "click":
            server.manual = True
            trays[0].fetch(manual=True)
            server.manual = False
        elif what == "new-token":
            creds_file.write_text(credentials(SECOND_TOKEN, at(48)))
        elif what == "expire":
            creds_file.write_text(credentials(SECOND_TOKEN, at(19)))  # Claude Code not run since: expired
        else:
            creds_file.write_text(credentials(THIRD_TOKEN, at(48)))

    auto = [r for r in server.log if not r["manual"]]
    manual = [r for r in server.log if r["manual"]]
    budget = SPAN_H * 3600 // DEFAULT_INTERVAL_S  # SPEC §4: one request per interval, however many processes
    gaps = [(b["at"] - a["at"]).total_seconds() for a, b in zip(auto, auto[1:])]

    inside_retry_after = 0
    for i, answer in enumerate(server.log):
        if answer["status"] == 429:
            wait = answer["retry_after"] or RATE_LIMIT_DEFAULT_S
            inside_retry_after += sum(
                1 for later in server.log[i + 1:]
                if not later["manual"] and later["at"] < answer["at"] + timedelta(seconds=wait)
            )
    refused_auto = [r for r in auto if r["token"] == TOKEN and r["at"] > at(17) and r["status"] != 401]
    after_first_refusal = [r for r in auto if r["token"] == TOKEN and r["at"] >= at(17)]
    while_expired = [r for r in server.log if at(20) <= r["at"] < at(21)]
    during_claude_code = [r for r in auto if at(9.5) <= r["at"] < at(10.5)]

    assert len(auto) <= budget and min(gaps) >= MIN_INTERVAL_S
    assert inside_retry_after == 0
    assert len(after_first_refusal) <= 1 and refused_auto == []  # refused once, then silence until it changed
    assert while_expired == []
    assert any(r["token"] == SECOND_TOKEN and r["status"] == 200 for r in auto)  # a new token resumes fetching
    assert any(r["token"] == THIRD_TOKEN for r in auto)
    # The 08:02 click fell inside the server's Retry-After (SPEC §4: nothing sent), the one 5 s later too.
    assert [r["at"] for r in manual] == [at(12), at(17.5)]
    assert during_claude_code == []  # the status line's readings kept both trays quiet
    figures(
        "politeness.day", simulated_hours=SPAN_H, requests_automatic=len(auto), requests_manual=len(manual),
        budget=budget,
        min_gap_s=min(gaps), requests_inside_retry_after=inside_retry_after,
        requests_after_refusal_same_token=len(after_first_refusal), requests_while_expired=len(while_expired),
        requests_during_statusline_feed=len(during_claude_code),
        statuses={s: sum(1 for r in server.log if r["status"] == s) for s in {r["status"] for r in server.log}},
    )
