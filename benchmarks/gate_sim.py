"""Requests per hour the fetch gate lets through, simulated over days of minute ticks (pure, no network).

Each tick does what the tray's worker does: `decide`, then on "allowed" `attempt_started` and, as the
request succeeds, `after_success` with the reading changed or not. oh-my-claude's status line asks once a
minute (60/h): that is the baseline.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from common import Figure, Stats

from tray.base.values import replace
from tray.fetching import gate
from tray.model.state import CachedState
from tray.model.usage import FIVE_HOURS, Usage, UsageWindow

TICK_S = 60
BASELINE_PER_HOUR = 60.0  # oh-my-claude: one request per status-line refresh a minute
FINGERPRINT = "bench"


def _usage(percent: float, now: datetime) -> Usage:
    return Usage(five_hour=UsageWindow("five_hour", "5-hour", percent, now + FIVE_HOURS, FIVE_HOURS))


def simulate(hours: int, *, changing: bool, trays: int, rng: random.Random) -> list[int]:
    """Requests in each simulated hour after the first, for `trays` trays sharing one cache."""
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    phases = [rng.uniform(0, TICK_S) for _ in range(trays)]  # trays started at different seconds
    ticks = sorted((start + timedelta(seconds=p + k * TICK_S), t)
                   for t, p in enumerate(phases) for k in range(hours * 3600 // TICK_S))
    state, percent, count = CachedState(), 10.0, [0] * hours
    for now, _tray in ticks:
        decision = gate.decide(state, now, base_interval=gate.DEFAULT_INTERVAL_S, token_fingerprint=FINGERPRINT)
        if not decision.allowed:
            continue
        state = replace(state, gate=gate.attempt_started(state.gate, now, manual=False))
        if changing:
            percent += 0.5
        new = _usage(percent, now)
        changed = state.usage is None or new.five_hour.utilization != state.usage.five_hour.utilization
        state = replace(state, usage=new, fetched_at=now, gate=gate.after_success(
            state.gate, now, changed=changed, base_interval=gate.DEFAULT_INTERVAL_S))
        count[min(int((now - start).total_seconds() // 3600), hours - 1)] += 1
    return count[1:]  # the first hour holds the warm-up (the stretch to 5 minutes)


def measure(repeats: int, hours: int = 24) -> list[Figure]:
    rng = random.Random(6)
    out = []
    for fid, name, changing, trays, limit in (
        ("requests_unchanged", "requests per hour, usage unchanged", False, 1, 15),
        ("requests_changing", "requests per hour, usage changing every minute", True, 1, 60),
        ("requests_two_trays", "requests per hour, two trays on one cache, usage changing", True, 2, 60),
    ):
        per_hour: list[float] = []
        for _ in range(repeats):
            per_hour.extend(simulate(hours, changing=changing, trays=trays, rng=rng))
        stats = Stats.of(per_hour)
        out.append(Figure(
            id=fid, name=name, unit="requests/h", subject=stats, baseline_name="oh-my-claude, one a minute",
            baseline=Stats(BASELINE_PER_HOUR, BASELINE_PER_HOUR, BASELINE_PER_HOUR, 1),
            ratio=Stats(stats.median / BASELINE_PER_HOUR, stats.min / BASELINE_PER_HOUR,
                        stats.max / BASELINE_PER_HOUR, stats.n),
            target=f"<= {limit}/h", meets=stats.max <= limit,
            extra={"simulated_hours_per_repeat": hours, "tick_s": TICK_S},
        ))
    return out
