"""The fetch gate over simulated hours: an injected clock, seeded randomness, no sleeps (SPEC §4)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tray.base.values import replace
from tray.fetching import gate
from tray.model.state import CachedState, GateState, LastError
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow
from tray.store.cache import read_state, update_state

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
FP = "fp-token-a"
TICK = timedelta(seconds=5)


def usage(five: float, seven: float = 21.0) -> Usage:
    return Usage(
        five_hour=UsageWindow("five_hour", "5-hour", five, T0 + timedelta(hours=5), FIVE_HOURS),
        seven_day=UsageWindow("seven_day", "7-day", seven, T0 + timedelta(days=3), SEVEN_DAYS),
    )


def fetch_if_allowed(state: CachedState, now: datetime, reading: Usage, *, base: float = 60) -> CachedState | None:
    """One tick of one process: ask the gate; if allowed, fetch (instantly) and record the result."""
    if not gate.decide(state, now, base_interval=base, token_fingerprint=FP).allowed:
        return None
    started = gate.attempt_started(state.gate, now, manual=False)
    changed = state.usage != reading
    done = gate.after_success(started, now, changed=changed, base_interval=base)
    return replace(state, usage=reading, fetched_at=now, source="api", gate=done)


def requests_during(state: CachedState, start: datetime, end: datetime, reading_at) -> tuple[int, CachedState]:
    count, now = 0, start
    while now < end:
        fetched = fetch_if_allowed(state, now, reading_at(count))
        if fetched is not None:
            state, count = fetched, count + 1
        now += TICK
    return count, state


def test_steady_usage_stretches_to_at_most_fifteen_requests_an_hour() -> None:
    first_hour, state = requests_during(CachedState(), T0, T0 + timedelta(hours=1), lambda n: usage(47.0))
    second_hour, state = requests_during(
        state, T0 + timedelta(hours=1), T0 + timedelta(hours=2), lambda n: usage(47.0)
    )
    assert second_hour <= 15
    assert second_hour < first_hour
    assert gate.interval_for(state.gate, 60) == gate.MAX_STRETCH_S


def test_changing_usage_keeps_sixty_requests_an_hour_at_the_default_interval() -> None:
    readings = iter(range(10_000))
    count, _ = requests_during(
        CachedState(), T0, T0 + timedelta(hours=1), lambda n: usage(float(next(readings)) / 100)
    )
    assert count == 60


def test_a_changed_reading_or_a_manual_refresh_snaps_the_stretched_interval_back() -> None:
    stretched = GateState()
    for _ in range(8):
        stretched = gate.after_success(stretched, T0, changed=False, base_interval=60)
    assert gate.interval_for(stretched, 60) == 300
    assert gate.interval_for(gate.after_success(stretched, T0, changed=True, base_interval=60), 60) == 60
    manual = gate.after_success(stretched, T0, changed=False, base_interval=60, manual=True)
    assert gate.interval_for(manual, 60) == 60


def claim_attempt(cache: Path, now: datetime) -> bool:
    """Decide without the lock (cheap), then again under it before claiming, as the fetch cycle does."""
    if not gate.decide(read_state(cache), now, base_interval=60, token_fingerprint=FP).allowed:
        return False
    claimed: list[bool] = []

    def claim(s: CachedState) -> CachedState:
        if not gate.decide(s, now, base_interval=60, token_fingerprint=FP).allowed:
            return s
        claimed.append(True)
        return replace(s, gate=gate.attempt_started(s.gate, now, manual=False))

    update_state(cache, claim, now=now)
    return bool(claimed)


def record_success(cache: Path, now: datetime, reading: Usage) -> None:
    def record(s: CachedState) -> CachedState:
        done = gate.after_success(s.gate, now, changed=True, base_interval=60)
        return replace(s, usage=reading, fetched_at=now, source="api", gate=done)

    update_state(cache, record, now=now)


def test_two_processes_sharing_the_cache_make_one_request_per_interval(tmp_path: Path) -> None:
    """Two trays tick every 5 s and every 7 s; a fetch takes 2 s. The gate lives in the cache file."""
    cache = tmp_path / "oh-my-claude" / ".usage_cache"
    requests: list[tuple[str, datetime]] = []
    in_flight: dict[str, datetime] = {}
    step = timedelta(seconds=1)
    now, end = T0, T0 + timedelta(hours=1)
    while now < end:
        for name, period in (("tray-a", 5), ("tray-b", 7)):
            started_at = in_flight.get(name)
            if started_at is not None and now - started_at >= timedelta(seconds=2):
                del in_flight[name]
                # Always a changed reading, so no stretching can hide a double fetch.
                record_success(cache, now, usage(len(requests) / 10))
            if name in in_flight or (now - T0).total_seconds() % period != 0:
                continue
            if claim_attempt(cache, now):
                requests.append((name, now))
                in_flight[name] = now
        now += step
    assert 55 <= len(requests) <= 60
    gaps = [(b[1] - a[1]).total_seconds() for a, b in zip(requests, requests[1:])]
    assert min(gaps) >= 60
    assert {name for name, _ in requests} == {"tray-a", "tray-b"}  # both took turns; neither doubled up


def failed(kind: str, *, retry_after: float | None = None, state: CachedState | None = None,
           seed: int = 1, now: datetime = T0) -> CachedState:
    state = state or CachedState(usage=usage(47.0), fetched_at=now - timedelta(minutes=10))
    started = gate.attempt_started(state.gate, now, manual=False)
    after = gate.after_failure(
        started, now, kind=kind, retry_after=retry_after, token_fingerprint=FP, rng=random.Random(seed)
    )
    return replace(state, gate=after, last_error=LastError(now, kind, "failed"))


def allowed(state: CachedState, now: datetime, *, fingerprint: str = FP, base: float = 60) -> bool:
    return gate.decide(state, now, base_interval=base, token_fingerprint=fingerprint).allowed


def test_429_with_a_retry_after_under_five_minutes_waits_five_minutes() -> None:
    for seed in range(50):
        state = failed("rate_limited", retry_after=245, seed=seed)
        wait = (state.gate.next_fetch_at - T0).total_seconds()
        assert 300 <= wait <= 300 * 1.05
        assert not allowed(state, T0 + timedelta(seconds=299))
    decision = gate.decide(state, T0 + timedelta(seconds=100), base_interval=60, token_fingerprint=FP)
    assert decision.reason.startswith("rate limited until ")
    assert allowed(state, state.gate.next_fetch_at)


def test_429_without_retry_after_waits_five_minutes() -> None:
    for retry_after in (None, 0, -3):  # PEERS.md: trusting `retry-after: 0` kept tools in 429s
        state = failed("rate_limited", retry_after=retry_after)
        wait = (state.gate.next_fetch_at - T0).total_seconds()
        assert 300 <= wait <= 315
        assert not allowed(state, T0 + timedelta(seconds=299))


def test_repeated_429s_double_from_five_minutes_to_an_hour_at_most() -> None:
    state, now, waits = CachedState(usage=usage(47.0), fetched_at=T0), T0, []
    for _ in range(7):
        state = failed("rate_limited", state=state, now=now)
        wait = (state.gate.next_fetch_at - now).total_seconds()
        waits.append(wait / 60)
        assert not allowed(state, now + timedelta(seconds=wait - 1))
        now = state.gate.next_fetch_at
    for got, expected in zip(waits, [5, 10, 20, 40, 60, 60, 60], strict=True):
        assert expected <= got <= expected * 1.05  # a few percent of jitter, only ever upwards


class HighestRandom(random.Random):
    """The worst case of full jitter: always the top of the range."""

    def uniform(self, a: float, b: float) -> float:
        return b


class LowestRandom(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


def test_server_error_backoff_grows_caps_at_fifteen_minutes_and_never_drops_below_thirty_seconds() -> None:
    highest = GateState()
    tops = []
    for _ in range(8):
        highest = gate.after_failure(highest, T0, kind="server", retry_after=None, token_fingerprint=FP,
                                     rng=HighestRandom())
        tops.append((highest.next_fetch_at - T0).total_seconds())
    assert tops == [60, 120, 240, 480, 900, 900, 900, 900]
    lowest = gate.after_failure(GateState(), T0, kind="network", retry_after=None, token_fingerprint=FP,
                                rng=LowestRandom())
    assert (lowest.next_fetch_at - T0).total_seconds() == 30
    seeded, rng = GateState(), random.Random(7)
    for _ in range(40):
        seeded = gate.after_failure(seeded, T0, kind="bad_response", retry_after=None, token_fingerprint=FP,
                                    rng=rng)
        assert 30 <= (seeded.next_fetch_at - T0).total_seconds() <= 900


def test_backoff_says_what_went_wrong_and_a_success_clears_it() -> None:
    state = failed("network", seed=3)
    decision = gate.decide(state, T0 + timedelta(seconds=1), base_interval=60, token_fingerprint=FP)
    assert not decision.allowed
    assert decision.reason.startswith("backing off after a network error")
    cleared = gate.after_success(state.gate, T0, changed=False, base_interval=60)
    assert cleared.next_fetch_at is None and cleared.backoff_step == 0 and cleared.reason == ""


def test_401_stops_automatic_fetches_until_the_token_changes() -> None:
    for kind in ("auth", "scope", "expired"):
        state = failed(kind)
        for later in (timedelta(minutes=1), timedelta(hours=3), timedelta(days=2)):
            assert not allowed(state, T0 + later)
        decision = gate.decide(state, T0 + timedelta(hours=1), base_interval=60, token_fingerprint=FP)
        assert "credentials were refused" in decision.reason
        assert allowed(state, T0 + timedelta(minutes=1), fingerprint="fp-token-b")
        assert gate.decide(state, T0 + timedelta(minutes=1), base_interval=60, token_fingerprint=FP,
                           manual=True).allowed


def test_manual_refresh_bypasses_the_gate_but_not_twice_within_ten_seconds() -> None:
    state = failed("server", seed=2)
    state = replace(state, fetched_at=T0)  # also a perfectly fresh reading
    assert gate.decide(state, T0, base_interval=60, token_fingerprint=FP, manual=True).allowed
    state = replace(state, gate=gate.attempt_started(state.gate, T0, manual=True))
    again = gate.decide(state, T0 + timedelta(seconds=9), base_interval=60, token_fingerprint=FP, manual=True)
    assert not again.allowed
    assert (again.held, again.moment) == (gate.MANUAL_GAP, T0)  # the view words it: refreshed 9 s ago
    assert gate.decide(state, T0 + timedelta(seconds=10), base_interval=60, token_fingerprint=FP,
                       manual=True).allowed


def test_a_clock_jump_back_by_six_hours_does_not_lock_the_gate() -> None:
    state = failed("rate_limited", retry_after=600)
    state = replace(state, fetched_at=T0, gate=gate.attempt_started(state.gate, T0, manual=True))
    back = T0 - timedelta(hours=6)
    assert allowed(state, back)
    assert gate.decide(state, back, base_interval=60, token_fingerprint=FP, manual=True).allowed


def test_a_real_thirty_minute_rate_limit_is_still_honoured() -> None:
    state = failed("rate_limited", retry_after=1800)
    assert not allowed(state, T0 + timedelta(seconds=60))
    assert not allowed(state, T0 + timedelta(seconds=1799))


def test_a_fresh_reading_fed_by_the_status_line_means_no_fetch() -> None:
    state = CachedState(usage=usage(47.0), fetched_at=T0, source="statusline")
    decision = gate.decide(state, T0 + timedelta(seconds=42), base_interval=60, token_fingerprint=FP)
    assert not decision.allowed
    assert decision.reason == "fresh reading (42 s old)"
    assert allowed(state, T0 + timedelta(seconds=60))


def test_another_process_fetching_right_now_holds_this_one_off() -> None:
    state = CachedState(usage=usage(47.0), fetched_at=T0 - timedelta(minutes=5))
    state = replace(state, gate=gate.attempt_started(state.gate, T0, manual=False))
    decision = gate.decide(state, T0 + timedelta(seconds=3), base_interval=60, token_fingerprint=FP)
    assert not decision.allowed
    assert decision.reason == "another refresh is in progress"
    # Also when the previous attempt had failed and its backoff has run out.
    backed_off = failed("server", seed=5)
    retry_at = backed_off.gate.next_fetch_at
    retrying = replace(backed_off, gate=gate.attempt_started(backed_off.gate, retry_at, manual=False))
    decision = gate.decide(retrying, retry_at + timedelta(seconds=3), base_interval=60, token_fingerprint=FP)
    assert (decision.allowed, decision.reason) == (False, "another refresh is in progress")


def test_an_interval_below_thirty_seconds_is_clamped_to_thirty() -> None:
    assert gate.clamp_interval(5) == 30
    assert gate.clamp_interval(None) == 60
    assert gate.clamp_interval(float("nan")) == 60
    assert gate.clamp_interval(120) == 120
    state = CachedState(usage=usage(47.0), fetched_at=T0)
    assert not allowed(state, T0 + timedelta(seconds=29), base=5)
    assert allowed(state, T0 + timedelta(seconds=30), base=5)


def test_a_one_hour_retry_after_is_honoured_to_the_second_and_six_hours_is_the_most() -> None:
    state = failed("rate_limited", retry_after=3600)
    assert not allowed(state, T0 + timedelta(seconds=3599))
    assert state.gate.server_until == T0 + timedelta(seconds=3600)
    day = failed("rate_limited", retry_after=86400)
    wait = (day.gate.next_fetch_at - T0).total_seconds()
    assert 6 * 3600 <= wait <= 6 * 3600 * 1.05
    assert not allowed(day, T0 + timedelta(hours=5, minutes=59))


def test_a_server_wait_longer_than_an_hour_outlasts_the_doubling_cap() -> None:
    state = failed("rate_limited", retry_after=7200)
    state = failed("rate_limited", retry_after=7200, state=state, now=state.gate.next_fetch_at)
    assert 7200 <= (state.gate.next_fetch_at - state.last_error.at).total_seconds() <= 7200 * 1.05


def test_refresh_now_inside_a_retry_after_sends_nothing_and_says_until_when_and_how_old() -> None:
    state = replace(failed("rate_limited", retry_after=600), fetched_at=T0 - timedelta(minutes=12))
    decision = gate.decide(state, T0 + timedelta(seconds=30), base_interval=60, token_fingerprint=FP, manual=True)
    assert not decision.allowed
    until = (T0 + timedelta(seconds=600)).astimezone().strftime("%H:%M")
    assert f"Anthropic asked to wait until {until}" in decision.reason
    assert "12 min old" in decision.reason
    assert gate.decide(state, T0 + timedelta(seconds=30), base_interval=60, token_fingerprint=FP, manual=True,
                       force=True).allowed


def test_a_forced_refresh_never_shortens_the_servers_wait() -> None:
    state = failed("rate_limited", retry_after=600)
    now = T0 + timedelta(seconds=90)
    started = gate.attempt_started(state.gate, now, manual=True)
    for after in (
        gate.after_success(started, now, changed=True, base_interval=60, manual=True),
        gate.after_failure(started, now, kind="network", retry_after=None, token_fingerprint=FP,
                           rng=LowestRandom(), manual=True),
        gate.after_failure(started, now, kind="auth", retry_after=None, token_fingerprint=FP,
                           rng=LowestRandom(), manual=True),
    ):
        later = replace(state, gate=after, fetched_at=now)
        # The automatic requests the measured tray sent at +1 min 28 s and +2 min 28 s stay unsent.
        for seconds in (88, 148, 300, 599):
            assert not gate.decide(later, T0 + timedelta(seconds=seconds), base_interval=60,
                                   token_fingerprint="fp-new").allowed
        assert gate.decide(later, T0 + timedelta(seconds=631), base_interval=60, token_fingerprint="fp-new").allowed
