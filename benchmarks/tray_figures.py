"""The tray on a real X display (Xvfb + trayer, tests/e2e/desktop.py) against a bare pystray icon.

start-up: process start until the icon is docked and drawn, each run side by side with the bare icon.
RSS: both processes running together; the tray ticks fast (CLAUDE_TRAY_TICK_SECONDS) on a fresh cache,
so many simulated minutes of ticks pass, with no fetch (a loopback usage URL counts any request).
CPU: the tray at a 1 s tick over a window of ticks, beside the bare icon; see `cpu_per_hour`.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import (
    CONSOLE_SCRIPT,
    ROOT,
    VENV_PYTHON,
    Figure,
    Stats,
    now_utc,
    paired,
    write_credentials,
    write_fresh_cache,
)

BARE_ICON = ROOT / "tests" / "e2e" / "bare_icon.py"
BARE_NAME, TRAY_NAME = "bare-icon", "claude-tray"
CLK_TCK = os.sysconf("SC_CLK_TCK")
TICKS_PER_HOUR = 60  # the real tray ticks once a minute


class _CountingServer(ThreadingHTTPServer):
    requests = 0


class _Refuse(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # any request at all is a failure of "no fetch"; answer like a busy server
        self.server.requests += 1  # type: ignore[attr-defined]
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def usage_server():
    server = _CountingServer(("127.0.0.1", 0), _Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class TrayBench:
    """One desktop, one scratch home per tray, the commands for subject and baseline."""

    def __init__(self, desk, backend: str, server) -> None:
        self.desk, self.backend, self.server = desk, backend, server
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-tray-")
        self._homes = 0

    def close(self) -> None:
        self._tmp.cleanup()

    def home(self) -> Path:
        self._homes += 1
        home = Path(self._tmp.name) / f"home{self._homes}"
        write_credentials(home)
        write_fresh_cache(self.cache_of(home), now_utc())
        return home

    @staticmethod
    def cache_of(home: Path) -> Path:
        return home / ".claude" / "oh-my-claude" / ".usage_cache"

    def tray(self, home: Path, tick_s: float | None = None) -> tuple[list[str], dict[str, str]]:
        env = {k: v for k, v in self.desk.env.items() if not k.startswith(("CLAUDE_", "PYSTRAY_"))}
        env.update(HOME=str(home), PYSTRAY_BACKEND=self.backend,
                   CLAUDE_TRAY_API_URL=f"http://127.0.0.1:{self.server.server_port}/api/oauth/usage")
        if tick_s is not None:
            env["CLAUDE_TRAY_TICK_SECONDS"] = str(tick_s)
        return [str(VENV_PYTHON), str(CONSOLE_SCRIPT), "run"], env

    def bare(self) -> tuple[list[str], dict[str, str]]:
        env = dict(self.desk.env, PYSTRAY_BACKEND=self.backend)
        return [str(VENV_PYTHON), str(BARE_ICON), "--lifetime", "600"], env

    def startup(self, repeats: int) -> Figure:
        from tests.e2e.desktop import time_to_visible

        home = self.home()
        subject, base = [], []
        for _ in range(repeats):
            pair = [("tray", *self.tray(home), TRAY_NAME), ("bare", *self.bare(), BARE_NAME)]
            random.shuffle(pair)
            for who, argv, env, name in pair:
                seconds = time_to_visible(argv, env, name, deadline=30)
                (subject if who == "tray" else base).append(seconds * 1000)
        ratio = paired(subject, base)
        return Figure(id=f"startup_{self.backend}", name=f"tray start -> icon visible ({self.backend})",
                      unit="ms", subject=Stats.of(subject), baseline_name=f"bare pystray icon ({self.backend})",
                      baseline=Stats.of(base), ratio=ratio, target="<= 1.5x", meets=ratio.median <= 1.5)

    def _start_pair(self, tray_cmd, lifetime: float):
        tray = self.desk.spawn(tray_cmd[0], tray_cmd[1], lifetime=lifetime)
        bare = self.desk.spawn(*self.bare(), lifetime=lifetime)
        self.desk.find_window(TRAY_NAME, deadline=30, painted=True)
        self.desk.find_window(BARE_NAME, deadline=30, painted=True)
        return tray, bare

    def _end(self, *procs) -> None:
        from tests.e2e.desktop import _kill_group

        for proc in procs:
            _kill_group(proc)

    def rss(self, repeats: int, ticks: int, tick_s: float = 0.05) -> Figure:
        subject, base, early, fetched = [], [], [], 0
        for _ in range(repeats):
            before = self.server.requests
            tray, bare = self._start_pair(self.tray(self.home(), tick_s), lifetime=ticks * tick_s + 60)
            try:
                time.sleep(TICKS_PER_HOUR * tick_s)  # the first simulated hour: RSS as it settles
                early.append(_rss_mb(tray.pid))
                time.sleep(max(0.0, (ticks - TICKS_PER_HOUR) * tick_s))  # the rest of the simulated hours
                subject.append(_rss_mb(tray.pid))
                base.append(_rss_mb(bare.pid))
            finally:
                self._end(tray, bare)
            fetched += self.server.requests - before
        ratio = paired(subject, base)
        return Figure(
            id=f"rss_{self.backend}", name=f"tray RSS after {ticks // TICKS_PER_HOUR} simulated h of ticks "
            f"({self.backend})", unit="MB", subject=Stats.of(subject), baseline_name=f"bare pystray icon "
            f"({self.backend})", baseline=Stats.of(base), ratio=ratio, target="<= 1.25x",
            meets=ratio.median <= 1.25 and fetched == 0,
            extra={"tick_s": tick_s, "ticks": ticks, "rss_after_first_hour_mb": Stats.of(early).__dict__,
                   "requests_sent": fetched},
        )

    def cpu(self, repeats: int, ticks: int, tick_s: float = 1.0) -> list[Figure]:
        """CPU per hour = 60 × (tray CPU − bare icon CPU) per tick + the bare icon's CPU per second × 3600.

        The second term is the toolkit's own idle cost, which follows real time rather than ticks; the
        first is what our minute tick adds. "changing" rewrites the cache before every tick with new
        figures (as Claude Code's status line would), so every tick re-renders and hands pystray an image.
        """
        results: dict[str, list[float]] = {"unchanged": [], "changing": [], "bare": []}
        raw: dict[str, list[float]] = {"unchanged": [], "changing": [], "bare": []}
        fetched = 0
        for _ in range(repeats):
            before = self.server.requests
            quiet_home, busy_home = self.home(), self.home()
            lifetime = ticks * tick_s + 60
            quiet = self.desk.spawn(*self.tray(quiet_home, tick_s), lifetime=lifetime)
            busy = self.desk.spawn(*self.tray(busy_home, tick_s), lifetime=lifetime)
            bare = self.desk.spawn(*self.bare(), lifetime=lifetime)
            try:
                for name in (TRAY_NAME, BARE_NAME):
                    self.desk.find_window(name, deadline=30, painted=True)
                while len(self.desk.windows(TRAY_NAME)) < 2:
                    time.sleep(0.05)
                time.sleep(2 * tick_s)  # past start-up work: the window holds ticks only
                procs = {"unchanged": quiet.pid, "changing": busy.pid, "bare": bare.pid}
                start = {k: _cpu_seconds(pid) for k, pid in procs.items()}
                t0 = time.monotonic()
                for k in range(ticks):
                    _rewrite(self.cache_of(busy_home), 20.0 + (k % 60))
                    time.sleep(max(0.0, t0 + (k + 1) * tick_s - time.monotonic()))
                window = time.monotonic() - t0
                used = {k: _cpu_seconds(pid) - start[k] for k, pid in procs.items()}
            finally:
                self._end(quiet, busy, bare)
            fetched += self.server.requests - before
            bare_per_s = used["bare"] / window
            for k in ("unchanged", "changing"):
                per_tick = max(0.0, used[k] - used["bare"]) / (window / tick_s)
                results[k].append(per_tick * TICKS_PER_HOUR + bare_per_s * 3600)
                raw[k].append(used[k])
            results["bare"].append(bare_per_s * 3600)
            raw["bare"].append(used["bare"])
        out = []
        for k, label in (("unchanged", "usage unchanged"), ("changing", "new figures every tick")):
            stats = Stats.of(results[k])
            out.append(Figure(
                id=f"cpu_{k}_{self.backend}", name=f"tray CPU while idle, {label} ({self.backend})",
                unit="s CPU/h", subject=stats, baseline_name=f"bare pystray icon ({self.backend})",
                baseline=Stats.of(results["bare"]), target="<= 1 s/h", meets=stats.median <= 1.0 and fetched == 0,
                extra={"tick_s": tick_s, "ticks_in_window": ticks, "cpu_s_in_window": Stats.of(raw[k]).__dict__,
                       "bare_cpu_s_in_window": Stats.of(raw["bare"]).__dict__, "requests_sent": fetched},
            ))
        return out


def _rewrite(cache_file: Path, five: float) -> None:
    from tray import cache

    now = now_utc()

    def change(state):
        usage = state.usage
        return replace(state, fetched_at=now,
                       usage=replace(usage, five_hour=replace(usage.five_hour, utilization=five)))

    cache.update_state(cache_file, change, now=now)


def measure(backends: list[str], *, startup_repeats: int, rss_repeats: int, rss_ticks: int, cpu_repeats: int,
            cpu_ticks: int, cpu_tick_s: float) -> list[Figure]:
    from tests.e2e.desktop import Desktop

    figures: list[Figure] = []
    with usage_server() as server, tempfile.TemporaryDirectory(prefix="bench-desk-") as art:
        for backend in backends:
            with Desktop(artifacts=Path(art)) as desk:
                bench = TrayBench(desk, backend, server)
                try:
                    figures.append(bench.startup(startup_repeats))
                    figures.append(bench.rss(rss_repeats, rss_ticks))
                    figures.extend(bench.cpu(cpu_repeats, cpu_ticks, cpu_tick_s))
                finally:
                    bench.close()
    return figures
