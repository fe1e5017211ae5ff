"""Claude Code runs the status line up to every 300 ms: unchanged figures are written at most once a minute."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tray.statusline import RECORD_EVERY_S, _already_recorded, _recorded_as_is, usage_from_stdin
from tray.statusline import main as statusline_main

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def report(percent: float, resets_at: int = 4102444800) -> str:
    return json.dumps({"rate_limits": {"five_hour": {"used_percentage": percent, "resets_at": resets_at},
                                       "seven_day": {"used_percentage": 41.0, "resets_at": 4102617600}}})


def run(home: Path, stdin: str, now: datetime, capsys, *, projection: bool = False) -> str:
    assert statusline_main(stdin=io.StringIO(stdin), env={"HOME": str(home)}, now=now, projection=projection) == 0
    return capsys.readouterr().out


def cache_file(home: Path) -> Path:
    return home / ".claude" / "oh-my-claude" / ".usage_cache"


def test_the_same_figures_within_a_minute_print_without_writing_the_cache(home, capsys):
    assert run(home, report(23.5), NOW, capsys) == "5h:23% 7d:41%\n"
    written = cache_file(home).read_bytes()
    for seconds in (1, 10, RECORD_EVERY_S - 1):
        assert run(home, report(23.5), NOW + timedelta(seconds=seconds), capsys) == "5h:23% 7d:41%\n"
        assert run(home, report(23.5), NOW + timedelta(seconds=seconds), capsys, projection=True) == "5h:23% 7d:41%\n"
    assert cache_file(home).read_bytes() == written  # not one byte rewritten


def test_new_figures_are_written_at_once_and_unchanged_ones_confirmed_after_a_minute(home, capsys):
    run(home, report(23.5), NOW, capsys)
    assert run(home, report(24.0), NOW + timedelta(seconds=5), capsys) == "5h:24% 7d:41%\n"
    tray = json.loads(cache_file(home).read_text())["tray"]
    assert tray["usage"]["five_hour"]["utilization"] == 24.0
    assert tray["fetched_at"].startswith("2026-11-30T12:00:05")
    run(home, report(24.0), NOW + timedelta(seconds=5 + RECORD_EVERY_S), capsys)
    tray = json.loads(cache_file(home).read_text())["tray"]
    assert tray["fetched_at"].startswith("2026-11-30T12:01:05")  # the tray sees the figures confirmed


def test_a_moved_reset_time_is_new_figures(home, capsys):
    run(home, report(23.5), NOW, capsys)
    run(home, report(23.5, resets_at=4102444800 + 3600), NOW + timedelta(seconds=5), capsys)
    tray = json.loads(cache_file(home).read_text())["tray"]
    assert tray["usage"]["five_hour"]["resets_at"].startswith("2100-01-01T01:00:00")


def test_figures_oh_my_claude_overwrote_are_written_back_at_once(home, capsys):
    run(home, report(23.5), NOW, capsys)
    raw = json.loads(cache_file(home).read_text())
    raw["pro"]["five_hour_pct"], raw["updated_at"] = 20, "2026-11-30T12:00:03Z"  # oh-my-claude's own fetch
    cache_file(home).write_text(json.dumps(raw))
    assert run(home, report(23.5), NOW + timedelta(seconds=5), capsys) == "5h:23% 7d:41%\n"
    assert json.loads(cache_file(home).read_text())["pro"]["five_hour_pct"] == 23


def test_a_lower_figure_than_oh_my_claude_fetched_in_the_same_period_is_a_stale_session(home, capsys):
    run(home, report(23.5), NOW, capsys)
    raw = json.loads(cache_file(home).read_text())
    raw["pro"]["five_hour_pct"], raw["updated_at"] = 80, "2026-11-30T12:00:03Z"  # the endpoint, via oh-my-claude
    cache_file(home).write_text(json.dumps(raw))
    assert run(home, report(23.5), NOW + timedelta(seconds=5), capsys) == "5h:80% 7d:41%\n"
    assert json.loads(cache_file(home).read_text())["pro"]["five_hour_pct"] == 80


def test_an_unchanged_report_is_answered_without_datetime_or_the_value_model(home, fixtures, capsys):
    stdin = (fixtures / "cache" / "statusline_stdin.json").read_text()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    probe = ("import sys\nfrom tray.cli import main\nmain(['statusline'])\n"
             "print(sorted({'datetime', 'tray.model.usage', 'tray.model.state', 'tray.store.lock'}\n"
             "             & set(sys.modules)))\n")
    first = subprocess.run([sys.executable, "-c", probe], input=stdin, capture_output=True, text=True, env=env,
                           cwd=ROOT, timeout=30)
    assert first.stdout.splitlines()[0] == "5h:23% 7d:41%" and "tray.store.lock" in first.stdout  # recorded
    again = subprocess.run([sys.executable, "-c", probe], input=stdin, capture_output=True, text=True, env=env,
                           cwd=ROOT, timeout=30)
    assert again.stdout.splitlines() == ["5h:23% 7d:41%", "[]"]


def _moment(seconds: int, micros: int, style: str) -> str:
    text = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return {"ours": f"{text}.{micros:06d}+00:00", "whole": text + "+00:00", "short": text + ".5+00:00",
            "z": text + "Z", "seventh": text + ".1234567+00:00", "offset": text + "+01:00",
            "bad-day": text[:8] + "31" + text[10:] + "+00:00", "bad-second": text[:17] + "60+00:00"}[style]


STYLES = st.sampled_from(["ours", "ours", "ours", "whole", "short", "z", "seventh", "offset", "bad-day", "bad-second"])
BASE = int(NOW.timestamp())


@st.composite
def recorded_then_reported(draw):
    """A cache our writer left and a report from Claude Code: the same figures, then perhaps one thing off."""
    percent = draw(st.sampled_from([23.5, 0.0, 99.9, 41]))
    reset = draw(st.sampled_from([4102444800, 1764500000]))
    window = {"key": "five_hour", "label": "5-hour", "utilization": percent,
              "resets_at": _moment(reset, 0, "whole"), "period_s": 18000}
    raw: dict = {"tray": {"fetched_at": _moment(draw(st.integers(BASE - 90, BASE + 5)),
                                                draw(st.integers(0, 999_999)), draw(STYLES)),
                          "usage": {"five_hour": window}}}
    updated = draw(st.one_of(st.none(), st.integers(BASE - 120, BASE + 5)))
    if updated is not None:
        raw["updated_at"] = _moment(updated, 0, draw(st.sampled_from(["z", "z", "ours", "bad-day"])))
    sent: dict = {"used_percentage": percent, "resets_at": reset}
    payload = {"rate_limits": {"five_hour": sent}}
    change = draw(st.sampled_from(["none", "none", "none", "percent", "reset", "reset-float", "reset-iso",
                                   "no-reset", "stored-reset", "label", "utilization", "huge", "seven"]))
    if change == "percent":
        sent["used_percentage"] = draw(st.one_of(st.floats(), st.integers(-5, 10**400), st.booleans(), st.text()))
    elif change == "reset":
        sent["resets_at"] = draw(st.integers(-5, 10**12))
    elif change == "reset-float":
        sent["resets_at"] = reset + draw(st.sampled_from([0.0, 0.5]))
    elif change == "reset-iso":
        sent["resets_at"] = window["resets_at"]
    elif change == "no-reset":
        del sent["resets_at"]
    elif change == "stored-reset":
        window["resets_at"] = draw(st.one_of(st.none(), st.text(max_size=3),
                                             st.just(_moment(reset, 0, "z")), st.just(_moment(reset, 5, "ours"))))
    elif change == "label":
        window["label"] = None
    elif change == "utilization":
        window["utilization"] = draw(st.one_of(st.floats(), st.booleans(), st.integers(-5, 10**400)))
    elif change == "huge":
        sent["used_percentage"] = window["utilization"] = 10**400
    elif change == "seven":
        payload["rate_limits"]["seven_day"] = {"used_percentage": 41.0, "resets_at": 4102617600}
    return raw, payload


def test_the_cheap_proof_never_claims_a_report_is_recorded_when_the_full_check_would_not():
    proven = [0]

    @settings(max_examples=3000, deadline=None)
    @given(recorded_then_reported(), st.integers(0, 3))
    def implies(case: tuple[dict, dict], later: int) -> None:
        raw, payload = case
        now = NOW + timedelta(seconds=later, microseconds=250_000 * later)
        if _recorded_as_is(raw, payload, round(now.timestamp() * 1_000_000)):
            proven[0] += 1
            usage = usage_from_stdin(payload)
            assert usage is not None and _already_recorded(raw, usage, now)

    implies()
    assert proven[0] > 20  # the proof does fire: the property is not vacuous


def test_a_stale_second_sessions_lower_figure_neither_flips_the_line_nor_logs_resets(home, capsys):
    """Two Claude Code sessions: a stale one keeps sending 1 % while the live one climbs 6 -> 20 %."""
    printed = []
    for i, live in enumerate(range(6, 21)):
        moment = NOW + timedelta(minutes=2 * i)
        printed.append(run(home, report(float(live)), moment, capsys))
        printed.append(run(home, report(1.0), moment + timedelta(minutes=1), capsys))
    figures = [int(line.split("%")[0].removeprefix("5h:")) for line in printed]
    assert figures == sorted(figures)  # never back to 1 %
    tray = json.loads(cache_file(home).read_text())["tray"]
    assert not any("reset" in str(reading) for reading in tray["history"])  # no surprise resets logged


def test_after_its_reset_the_status_line_prints_the_window_as_reset(home, capsys):
    resets = int((NOW + timedelta(minutes=30)).timestamp())
    run(home, report(95.0, resets_at=resets), NOW, capsys)
    assert run(home, "{}", NOW + timedelta(minutes=10), capsys).startswith("5h:95%")
    assert run(home, "{}", NOW + timedelta(minutes=31), capsys).startswith("5h:0%")
