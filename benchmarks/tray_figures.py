"""The tray on a real X display (Xvfb + trayer, tests/e2e/desktop.py) against a bare pystray icon.

start-up: process start until the icon is docked and drawn, each run side by side with the bare icon.
RSS: both processes running together; the tray ticks fast (CLAUDE_TRAY_TICK_SECONDS) on a fresh cache,
so many simulated minutes of ticks pass, with no fetch (a loopback usage URL counts any request); and once
more after one real fetch (requests + ssl loaded), against a loopback server that answers 200.
CPU: read from each process's CPU clock (clock_getcpuclockid, nanoseconds); see `TrayBench.cpu`.
"""

from __future__ import annotations

import ctypes
import json
import random
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import (
    CONSOLE_SCRIPT,
    NOT_A_USERS,
    ROOT,
    VENV_PYTHON,
    Figure,
    Stats,
    now_utc,
    paired,
    write_credentials,
    write_fresh_cache,
)

from tray.base.values import replace

BARE_ICON = ROOT / "tests" / "e2e" / "bare_icon.py"
BARE_NAME, TRAY_NAME = "bare-icon", "claude-tray"
_LIBC = ctypes.CDLL(None, use_errno=True)
BACKGROUND_TICK_S = 3600.0  # a tray that never ticks within the window: what it costs between ticks
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


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the usage endpoint as it answers a signed-in Pro account
        self.server.requests += 1  # type: ignore[attr-defined]
        now = now_utc()
        body = json.dumps({
            "five_hour": {"utilization": 48.0, "resets_at": (now + timedelta(hours=2)).isoformat()},
            "seven_day": {"utilization": 22.0, "resets_at": (now + timedelta(days=3)).isoformat()},
            "seven_day_opus": None, "extra_usage": None,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def usage_server(answer: bool = False):
    server = _CountingServer(("127.0.0.1", 0), _Answer if answer else _Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _cpu_seconds(pid: int) -> float:
    """CPU time of all of `pid`'s threads so far, in ns steps (the scheduler's sum_exec_runtime).

    Not /proc/<pid>/stat: it counts in 10 ms clock ticks (one tick = 0.6 s/h when scaled from a minute),
    and schedstat is off on some kernels. A process CPU clock of another process of ours reads the same
    runtime the scheduler keeps, at full resolution, while it runs (os.wait4's rusage would only give it
    at exit, with start-up mixed in).
    """
    return time.clock_gettime(_cpu_clock(pid))


def _cpu_clock(pid: int) -> int:
    clock = ctypes.c_int()
    if _LIBC.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
        raise RuntimeError(f"no CPU clock for {pid}")
    return clock.value


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

    def tray(self, home: Path, tick_s: float | None = None, server=None) -> tuple[list[str], dict[str, str]]:
        env = {k: v for k, v in self.desk.env.items()
               if not k.startswith(("CLAUDE_", "PYSTRAY_")) and k not in NOT_A_USERS}
        port = (server or self.server).server_port
        env.update(HOME=str(home), PYSTRAY_BACKEND=self.backend,
                   CLAUDE_TRAY_API_URL=f"http://127.0.0.1:{port}/api/oauth/usage")
        if tick_s is not None:
            env["CLAUDE_TRAY_TICK_SECONDS"] = str(tick_s)
        return [str(VENV_PYTHON), str(CONSOLE_SCRIPT), "run"], env

    def bare(self) -> tuple[list[str], dict[str, str]]:
        env = {k: v for k, v in self.desk.env.items() if k not in NOT_A_USERS}
        env["PYSTRAY_BACKEND"] = self.backend
        return [str(VENV_PYTHON), str(BARE_ICON), "--lifetime", "600"], env

    def startup(self, repeats: int) -> Figure:
        from tests.e2e.desktop import time_to_visible

        home = self.home()
        subject, base, blank = [], [], {"tray": 0, "bare": 0}
        for _ in range(repeats):
            pair = [("tray", *self.tray(home), TRAY_NAME), ("bare", *self.bare(), BARE_NAME)]
            random.shuffle(pair)
            took: dict[str, float] = {}
            for who, argv, env, name in pair:
                try:
                    took[who] = time_to_visible(argv, env, name, deadline=15) * 1000
                except TimeoutError:  # seen about once in 100 xorg starts: docked, but not drawn until an update
                    blank[who] += 1
            if len(took) == 2:
                subject.append(took["tray"])
                base.append(took["bare"])
        ratio = paired(subject, base)
        return Figure(id=f"startup_{self.backend}", name=f"tray start -> icon visible ({self.backend})",
                      unit="ms", subject=Stats.of(subject), baseline_name=f"bare pystray icon ({self.backend})",
                      baseline=Stats.of(base), ratio=ratio, target="<= 1.5x", meets=ratio.median <= 1.5,
                      extra={"not_shown_within_15_s": blank})

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

    def rss_after_fetch(self, repeats: int, ticks: int, tick_s: float = 0.05) -> Figure:
        """As `rss`, but the cache is 10 minutes old, so the first tick fetches once from a loopback server
        that answers 200: the steady RSS of a tray that has used the network (requests, urllib3, ssl)."""
        subject, base, fetched = [], [], 0
        with usage_server(answer=True) as answering:
            for _ in range(repeats):
                before = answering.requests
                home = self.home()
                write_fresh_cache(self.cache_of(home), now_utc() - timedelta(minutes=10))
                tray, bare = self._start_pair(self.tray(home, tick_s, answering), lifetime=ticks * tick_s + 60)
                try:
                    deadline = time.monotonic() + 30
                    while answering.requests == before and time.monotonic() < deadline:
                        time.sleep(0.05)
                    time.sleep(ticks * tick_s)
                    subject.append(_rss_mb(tray.pid))
                    base.append(_rss_mb(bare.pid))
                finally:
                    self._end(tray, bare)
                fetched += answering.requests - before
        ratio = paired(subject, base)
        return Figure(
            id=f"rss_fetched_{self.backend}", name=f"tray RSS after a fetch and {ticks // TICKS_PER_HOUR} "
            f"simulated h ({self.backend})", unit="MB", subject=Stats.of(subject),
            baseline_name=f"bare pystray icon ({self.backend})", baseline=Stats.of(base), ratio=ratio,
            target="report", meets=None, extra={"tick_s": tick_s, "ticks": ticks, "requests_sent": fetched},
        )

    def cpu(self, repeats: int, ticks: int, tick_s: float = 0.1) -> list[Figure]:
        """CPU per hour at the real minute tick = 60 × CPU per tick + background CPU per second × 3600.

        Three phases per repeat, each alone on the tray host (an icon that changes ten times a second makes
        the host redraw its neighbours, and that must not be counted as theirs): the background — a tray
        whose tick (BACKGROUND_TICK_S) never comes, beside the bare icon: toolkit loop and idle threads,
        per second —; a tray ticking every `tick_s` on an unchanged cache; and one whose cache is rewritten
        with new figures before every tick, as Claude Code's status line would, so every tick re-reads,
        re-renders and hands pystray an image. Per tick = (ticking tray − background over the same time) /
        ticks. Each from the processes' CPU clocks (`_cpu_seconds`).
        """
        kinds = ("unchanged", "changing", "background", "bare")
        used: dict[str, list[float]] = {k: [] for k in kinds}
        spans: dict[str, list[float]] = {k: [] for k in kinds}
        fetched = 0
        for _ in range(repeats):
            before = self.server.requests
            for phase in (("background", "bare"), ("unchanged",), ("changing",)):
                homes = {k: self.home() for k in phase if k != "bare"}
                lifetime = ticks * tick_s + 60
                procs = {k: self.desk.spawn(*self.tray(homes[k], BACKGROUND_TICK_S if k == "background"
                                                                 else tick_s), lifetime=lifetime)
                         for k in homes}
                if "bare" in phase:
                    procs["bare"] = self.desk.spawn(*self.bare(), lifetime=lifetime)
                try:
                    if "bare" in phase:
                        self.desk.find_window(BARE_NAME, deadline=30, painted=True)
                    while len(self.desk.windows(TRAY_NAME)) < len(homes):
                        time.sleep(0.05)
                    time.sleep(12.0)  # past start-up work and the xorg re-dock checks (≤ 10 s)
                    start = {k: _cpu_seconds(p.pid) for k, p in procs.items()}
                    t0 = time.monotonic()
                    for k in range(ticks):
                        if "changing" in phase:
                            _rewrite(self.cache_of(homes["changing"]), 20.0 + (k % 60))
                        time.sleep(max(0.0, t0 + (k + 1) * tick_s - time.monotonic()))
                    span = time.monotonic() - t0
                    for k, p in procs.items():
                        used[k].append(_cpu_seconds(p.pid) - start[k])
                        spans[k].append(span)
                finally:
                    self._end(*procs.values())
            fetched += self.server.requests - before

        def background_per_s(i: int) -> float:
            return used["background"][i] / spans["background"][i]

        def per_tick(kind: str, i: int) -> float:
            alone = used[kind][i] - background_per_s(i) * spans[kind][i]
            return max(0.0, alone) / (spans[kind][i] / tick_s)

        def background_per_h(i: int) -> float:
            return background_per_s(i) * 3600

        n = range(repeats)
        windows = [s for k in kinds for s in spans[k]]
        bare = Stats.of([used["bare"][i] / spans["bare"][i] * 3600 for i in n])
        out = []
        for k, label in (("unchanged", "usage unchanged"), ("changing", "new figures every tick")):
            stats = Stats.of([per_tick(k, i) * TICKS_PER_HOUR + background_per_h(i) for i in n])
            out.append(Figure(
                id=f"cpu_{k}_{self.backend}", name=f"tray CPU while idle, {label} ({self.backend})",
                unit="s CPU/h", subject=stats, baseline_name=f"bare pystray icon ({self.backend})",
                baseline=bare, target="<= 1 s/h", meets=stats.median <= 1.0 and fetched == 0,
                extra={"method": "clock_getcpuclockid (ns): 60 x CPU per tick + background CPU per s x 3600",
                       "tick_s": tick_s, "ticks_in_window": ticks, "window_s": Stats.of(windows).__dict__,
                       "cpu_ms_per_tick": Stats.of([per_tick(k, i) * 1000 for i in n]).__dict__,
                       "background_s_per_h": Stats.of([background_per_h(i) for i in n]).__dict__,
                       "cpu_s_in_window": Stats.of(used[k]).__dict__,
                       "background_cpu_s_in_window": Stats.of(used["background"]).__dict__,
                       "bare_cpu_s_in_window": Stats.of(used["bare"]).__dict__, "requests_sent": fetched},
            ))
        return out


def _rewrite(cache_file: Path, five: float) -> None:
    from tray.store import cache

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
                    figures.append(bench.rss_after_fetch(rss_repeats, rss_ticks))
                    figures.extend(bench.cpu(cpu_repeats, cpu_ticks, cpu_tick_s))
                finally:
                    bench.close()
    return figures
