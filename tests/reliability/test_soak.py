"""The real tray (`claude-tray run`) under Xvfb + trayer with its clock sped up, against a loopback server
whose figures change and which fails now and then: memory, threads and temp files stay flat.

CI lives a simulated day (CLAUDE_TRAY_TIME_SCALE=6000: ~15 s); the recorded run a week (2000: ~5 min).
Also checks the process arguments of the tray and all its children for the token (SPEC §8).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from datetime import datetime, timezone
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

SIM_DAYS, SCALE, TICK_S = (7, 2000, 0.1) if RECORDED else (1, 6000, 0.05)
WARM_UP = 0.2  # share of the run before the baseline sample: imports, first render, first requests


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


def test_a_sped_up_week_of_the_real_tray_keeps_memory_threads_and_temp_files_flat(
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
    real_seconds = SIM_DAYS * 86400 / SCALE
    with Desktop() as desk:
        env = {**desk.env, "HOME": str(home), "TMPDIR": str(private_tmp), "PATH": "/usr/bin:/bin",
               "CLAUDE_TRAY_API_URL": httpserver.url_for("/u"), "CLAUDE_TRAY_TIME_SCALE": str(SCALE),
               "CLAUDE_TRAY_TICK_SECONDS": str(TICK_S), "XDG_CONFIG_HOME": str(home / ".config")}
        env.pop("CLAUDE_CONFIG_DIR", None)
        tray = desk.spawn([sys.executable, "-m", "tray", "run"], env=env, lifetime=real_seconds + 60)
        desk.find_window("claude-tray", deadline=30, painted=True)
        start = time.monotonic()
        samples: list[dict[str, float]] = []
        most_temp, leaked_args = 0, 0
        while (elapsed := time.monotonic() - start) < real_seconds:
            assert tray.poll() is None, desk.output(tray)
            family = [tray.pid, *descendants(tray.pid)]
            leaked_args += TOKEN_CORE[:12] in cmdlines(family)
            samples.append({"t": elapsed, **proc_status(tray.pid)})
            most_temp = max(most_temp, len(list(private_tmp.iterdir())) + len(temp_files(cache_of(home).parent)))
            time.sleep(min(0.5, real_seconds / 200))  # the sampling period of a measurement, not a wait for state
        tray.send_signal(signal.SIGTERM)
        tray.wait(timeout=10)
        log = desk.output(tray)

    after = [s for s in samples if s["t"] >= WARM_UP * real_seconds]
    baseline, final = after[0], after[-1]
    rss_growth_kb = final["VmRSS"] - baseline["VmRSS"]
    peak_growth_kb = max(s["VmRSS"] for s in after) - baseline["VmRSS"]
    threads = sorted({int(s["Threads"]) for s in after})
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
    assert threads[-1] - threads[0] <= 1, threads
    assert rss_growth_kb < 16 * 1024, (baseline, final)
    assert served["count"] > SIM_DAYS * 24 * 6  # it kept fetching all along, at least every 10 simulated min
    assert cache["tray"]["usage"] is not None
    figures("soak", simulated_days=SIM_DAYS, time_scale=SCALE, real_seconds=round(real_seconds, 1),
            samples=len(samples), requests=served["count"], rss_start_kb=baseline["VmRSS"],
            rss_end_kb=final["VmRSS"], rss_growth_kb=rss_growth_kb, rss_peak_growth_kb=peak_growth_kb,
            threads=threads, most_temp_files_at_once=most_temp, pystray_temp_files_left=len(pystray_left),
            cache_temp_files_left_at_exit=len(cache_left_at_exit), cache_temp_files_left=len(cache_left),
            token_in_process_arguments=leaked_args)
