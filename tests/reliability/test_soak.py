"""The real tray (`claude-tray run`) under Xvfb + trayer living simulated time, against a loopback server
whose figures change and which fails now and then: memory, threads and temp files stay flat.

Its clock moves CLAUDE_TRAY_TIME_STEP (5 simulated minutes) at each tick, and only once the worker is done with
the fetch the last tick asked for: a simulated day is the same 288 ticks on any machine, however loaded; only
how long it takes in real time varies (CI: a day, ~15 s on an idle machine; the recorded run: a week, ~3 min).
Also checks the process arguments of the tray and all its children for the token (SPEC §8).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import require_tool
from tests.reliability.conftest import RECORDED, TOKEN_CORE, cache_of, temp_files
from tests.test_app import usage_payload
from tray import statusline
from tray.store.cache import read_state


def cache_usage(path: Path):
    return read_state(path).usage


def simulated_now(home: Path, start: datetime) -> datetime:
    """How far the tray's simulated time has come: its last attempt to fetch (`start` before the first)."""
    attempt = read_state(cache_of(home)).gate.last_attempt_at
    return attempt if attempt is not None and attempt > start else start

SIM_DAYS, TICK_S = (7, 0.1) if RECORDED else (1, 0.05)
STEP_S = 300  # simulated seconds a tick: every tick may fetch (the gate's interval is 60 s)
TICKS = SIM_DAYS * 86400 // STEP_S
DEADLINE_S = 600  # real seconds: a machine slower than this is not running the tray at all
WARM_UP = 0.2  # share of the simulated run before the baseline sample: imports, first render, first requests


def proc_status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "Threads"):
            fields[key] = int(value.split()[0])
    return fields


def descendants(pid: int) -> list[int]:
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdlines(pids: list[int]) -> str:
    text = []
    for pid in pids:
        try:
            text.append(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"))
        except OSError:
            continue
    return " ".join(text)


def test_a_simulated_week_of_the_real_tray_keeps_memory_threads_and_temp_files_flat(
    home_factory, httpserver: HTTPServer, tmp_path: Path, figures
) -> None:
    require_tool("Xvfb", "dbus-daemon", "dbus-send", "dunst", "trayer", "xdotool")
    from tests.e2e.desktop import Desktop

    served = {"count": 0}

    def changing(request: Request) -> Response:
        served["count"] += 1
        n = served["count"]
        if n % 17 == 0:
            return Response('{"error": {"type": "rate_limit_error"}}', status=429, headers={"Retry-After": "120"})
        if n % 9 == 0:
            return Response("<html>bad gateway</html>", status=502)
        return Response(json.dumps(usage_payload(n % 100, (n // 10) % 100)), content_type="application/json")

    httpserver.expect_request("/u").respond_with_handler(changing)
    home = home_factory()
    private_tmp = tmp_path / "tmpdir"
    private_tmp.mkdir()
    start_at = datetime.now(timezone.utc)
    end_at = start_at + timedelta(days=SIM_DAYS)
    nominal_seconds = TICKS * TICK_S  # real time on an idle machine: ticks at their period, fetches instant
    with Desktop() as desk:
        env = {**desk.env, "HOME": str(home), "TMPDIR": str(private_tmp), "PATH": "/usr/bin:/bin",
               "CLAUDE_TRAY_API_URL": httpserver.url_for("/u"), "CLAUDE_TRAY_TIME_STEP": str(STEP_S),
               "CLAUDE_TRAY_TICK_SECONDS": str(TICK_S), "XDG_CONFIG_HOME": str(home / ".config")}
        env.pop("CLAUDE_CONFIG_DIR", None)
        tray = desk.spawn([sys.executable, "-m", "tray", "run"], env=env, lifetime=DEADLINE_S + 60)
        desk.find_window("claude-tray", deadline=30, painted=True)
        start = time.monotonic()
        samples: list[dict[str, float]] = []
        most_temp, leaked_args = 0, 0
        while (lived := simulated_now(home, start_at)) < end_at:  # polled: the tray's own simulated time
            assert time.monotonic() - start < DEADLINE_S, f"the tray lived only to {lived} of {end_at}"
            assert tray.poll() is None, desk.output(tray)
            family = [tray.pid, *descendants(tray.pid)]
            leaked_args += TOKEN_CORE[:12] in cmdlines(family)
            samples.append({"t": (lived - start_at) / (end_at - start_at), **proc_status(tray.pid)})
            most_temp = max(most_temp, len(list(private_tmp.iterdir())) + len(temp_files(cache_of(home).parent)))
            time.sleep(min(0.5, nominal_seconds / 200))  # the sampling period of a measurement, not a wait for state
        real_seconds = time.monotonic() - start
        tray.send_signal(signal.SIGTERM)
        tray.wait(timeout=10)
        log = desk.output(tray)

    after = [s for s in samples if s["t"] >= WARM_UP]
    baseline, final = after[0], after[-1]
    rss_growth_kb = final["VmRSS"] - baseline["VmRSS"]
    peak_growth_kb = max(s["VmRSS"] for s in after) - baseline["VmRSS"]
    threads = sorted({int(s["Threads"]) for s in after})
    quarter = max(1, len(after) // 4)
    early, late = min(s["Threads"] for s in after[:quarter]), min(s["Threads"] for s in after[-quarter:])
    pystray_left = sorted(os.listdir(private_tmp))
    # A write cut off when the process ended can leave one cache temp file (the tray's exit does not wait
    # for its worker's write: reported); the next writer of any process removes it.
    cache_left_at_exit = temp_files(cache_of(home).parent)
    statusline.record(cache_of(home), cache_usage(cache_of(home)), datetime.now(timezone.utc))
    cache_left = temp_files(cache_of(home).parent)
    cache = json.loads(cache_of(home).read_text())
    assert tray.returncode == 0, log
    assert "Traceback" not in log and TOKEN_CORE[:12] not in log
    assert leaked_args == 0
    assert pystray_left == [] and len(cache_left_at_exit) <= 1 and cache_left == []
    # pystray's current icon PNG (two while it swaps them) and one cache write in flight: never a pile.
    assert most_temp <= 3
    # No thread stays: the fewest late in the run are the fewest early on. Between them a request's own
    # watchdog timer (tray/sources/client.py) and a notification's helper come and go.
    assert late <= early and threads[-1] - threads[0] <= 3, (early, late, threads)
    assert rss_growth_kb < 16 * 1024, (baseline, final)
    assert served["count"] > SIM_DAYS * 24 * 6  # it kept fetching all along, at least every 10 simulated min
    assert cache["tray"]["usage"] is not None
    figures("soak", simulated_days=SIM_DAYS, ticks=TICKS, step_s=STEP_S, real_seconds=round(real_seconds, 1),
            samples=len(samples), requests=served["count"], rss_start_kb=baseline["VmRSS"],
            rss_end_kb=final["VmRSS"], rss_growth_kb=rss_growth_kb, rss_peak_growth_kb=peak_growth_kb,
            threads=threads, most_temp_files_at_once=most_temp, pystray_temp_files_left=len(pystray_left),
            cache_temp_files_left_at_exit=len(cache_left_at_exit), cache_temp_files_left=len(cache_left),
            token_in_process_arguments=leaked_args)
