"""The fetch gate: may this process ask the usage endpoint now? (SPEC §4). Pure, standard library only.

The gate's state lives in the shared cache (`CachedState.gate`), so every tray, `refresh` and status
line obeys one gate: whoever fetched last, the others wait. Takes values and `now`, returns values.

The way a caller uses it, under the cache lock: `decide` -> if allowed, `attempt_started` (written at
once, so another process deciding meanwhile sees the claim) -> fetch outside the lock -> under the lock
again, `after_success` or `after_failure`.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from tray.base.timefmt import to_local  # never raises: TZ=XXX+24 or a moment at the calendar's edge
from tray.base.values import record, replace
from tray.model.state import CachedState, GateState

MIN_INTERVAL_S = 30  # polling every 10–30 s earns permanent 429s (PEERS.md)
DEFAULT_INTERVAL_S = 60
MAX_STRETCH_S = 300
STRETCH_AFTER = 5
MANUAL_MIN_GAP_S = 10
RATE_LIMIT_DEFAULT_S = 300  # the floor: Retry-After missing, 0 or under five minutes
RATE_LIMIT_MAX_S = 3600  # repeated 429s double up to an hour (the per-account budget is about an hour)
RETRY_AFTER_MAX_S = 6 * 3600  # a server's wait is honoured up to six hours; beyond, capped (and said so)
BACKOFF_BASE_S = 60
BACKOFF_MAX_S = 900
RATE_LIMIT_JITTER = 0.05  # added on top only, so a wait is never shorter than Retry-After
CLAIM_S = MIN_INTERVAL_S  # how long an attempt in flight holds off the other processes

AUTH_KINDS = frozenset({"auth", "scope", "expired", "signed_out", "no_credentials", "malformed"})
_MAX_STEP = 30  # 2**30 minutes is past every cap; keeps the stored number small
_MAX_UNCHANGED = 100  # state.py reads counts above 1000 as 0, which would snap the interval back
_ERROR_WORDS = {
    "network": "a network error",
    "server": "a server error",
    "bad_response": "an unreadable response",
    "unrecognised": "an unrecognised answer",
}


@record
class Decision:
    allowed: bool
    reason: str  # a sentence fragment for `refresh` and the log, e.g. "rate limited until 14:05"
    held: str = ""  # what holds a manual refresh back, for the view to word: MANUAL_GAP, SERVER_WAIT or ""
    moment: datetime | None = None  # what `held` is about: the last manual refresh, the end of the server's wait


MANUAL_GAP = "manual_gap"  # a manual refresh less than MANUAL_MIN_GAP_S ago
SERVER_WAIT = "server_wait"  # inside a wait the server asked for


def clamp_interval(seconds: float | None) -> float:
    """The poll interval asked for (flag, environment), made safe: default 60 s, never below 30 s."""
    if seconds is None or isinstance(seconds, bool):
        return float(DEFAULT_INTERVAL_S)
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return float(DEFAULT_INTERVAL_S)
    if not math.isfinite(value):
        return float(DEFAULT_INTERVAL_S)
    return max(float(MIN_INTERVAL_S), value)


def interval_for(gate: GateState, base_interval: float) -> float:
    """The interval now in force: the base, doubled per unchanged fetch after `STRETCH_AFTER` of them,
    up to 5 minutes (or the base, if someone asked for more)."""
    base = clamp_interval(base_interval)
    if gate.unchanged_count < STRETCH_AFTER:
        return base
    doublings = min(gate.unchanged_count - STRETCH_AFTER + 1, 16)
    return max(base, min(float(MAX_STRETCH_S), base * 2**doublings))


def decide(
    state: CachedState,
    now: datetime,
    *,
    base_interval: float,
    token_fingerprint: str | None,
    manual: bool = False,
    force: bool = False,
) -> Decision:
    """Whether to fetch now. The caller has already checked that an unexpired token exists.

    `manual` (the user asked) bypasses the gate, except inside a wait the server asked for; `force`
    (`refresh --force`) bypasses that too."""
    gate = state.gate
    if manual:
        return _decide_manual(state, now, force=force)

    if gate.reason == "auth" and gate.blocked_token == token_fingerprint:
        return Decision(False, "credentials were refused; waiting for Claude Code to sign in again")

    interval = interval_for(gate, base_interval)
    waits: list[tuple[datetime, str]] = []
    until = gate.next_fetch_at
    if until is not None and until > now and not _clock_went_back(gate, now, interval):
        waits.append((until, _waiting_because(state, until)))
    server = gate.server_until
    if server is not None and server > now and (until is None or server > until) and not _clock_went_back(
            gate, now, interval):
        waits.append((server, f"rate limited until {_clock_words(server, now)}"))
    if state.fetched_at is not None:
        age = (now - state.fetched_at).total_seconds()
        # A reading from "the future" by more than an interval means the clock jumped back: not fresh.
        if -interval <= age < interval and not _local_lacks(state, now):
            fresh_until = state.fetched_at + timedelta(seconds=interval)
            waits.append((fresh_until, f"fresh reading ({max(0, int(age))} s old)"))
    peer = gate.peer_attempt_at
    if peer is not None and -interval <= (now - peer).total_seconds() < interval:
        # oh-my-claude asked the endpoint then (its `pro: null` says it failed): the machine's one request.
        waits.append((peer + timedelta(seconds=interval), "oh-my-claude asked the endpoint moments ago"))
    if waits:
        return Decision(False, waits[0][1])

    if state.fetched_at is None:
        return Decision(True, "no reading yet")
    return Decision(True, f"reading is {_age_words(now - state.fetched_at)} old")


LOCAL_SOURCES = frozenset({"statusline", "claude-code"})  # figures that cost no request
LOCAL_TOP_UP_S = 300  # while they are fresh, the endpoint is asked for what they lack at most this often


def _local_lacks(state: CachedState, now: datetime) -> bool:
    """True when the fresh reading is Claude Code's (status line or its own cache) and lacks what only the
    endpoint gives — per-model windows for the status line, extra usage for both — which the endpoint last
    gave more than LOCAL_TOP_UP_S ago (SPEC §4)."""
    usage = state.usage
    if state.source not in LOCAL_SOURCES or usage is None:
        return False
    lacks = (usage.extra is not None and usage.extra.is_enabled) or (state.source == "statusline" and usage.models)
    api_at = state.gate.api_at
    return bool(lacks) and (api_at is None or not 0 <= (now - api_at).total_seconds() < LOCAL_TOP_UP_S)


def attempt_started(gate: GateState, now: datetime, *, manual: bool) -> GateState:
    """Record an attempt, and hold the others off for `CLAIM_S` while it is in flight."""
    claim = now + timedelta(seconds=CLAIM_S)
    next_fetch_at = claim if gate.next_fetch_at is None or gate.next_fetch_at < claim else gate.next_fetch_at
    return replace(
        gate,
        next_fetch_at=next_fetch_at,
        last_attempt_at=now,
        last_manual_at=now if manual else gate.last_manual_at,
    )


def after_success(
    gate: GateState, now: datetime, *, changed: bool, base_interval: float, manual: bool = False
) -> GateState:
    """A good reading arrived: clear every wait; stretch the interval while readings stay the same."""
    unchanged = 0 if changed or manual else min(gate.unchanged_count + 1, _MAX_UNCHANGED)
    cleared = replace(
        gate,
        next_fetch_at=None,  # the reading's own age (fetched_at) spaces the next fetch
        reason="",
        backoff_step=0,
        unchanged_count=unchanged,
        blocked_token=None,
        last_attempt_at=gate.last_attempt_at or now,
        server_until=None,
        api_at=now,
    )
    cleared = replace(cleared, interval_s=interval_for(cleared, base_interval))
    if manual and gate.server_until is not None and gate.server_until > now:
        # A forced request inside the server's wait got through; the wait it asked for still stands.
        return replace(cleared, next_fetch_at=gate.server_until, reason="rate_limited",
                       backoff_step=gate.backoff_step, server_until=gate.server_until)
    return cleared


def after_failure(
    gate: GateState,
    now: datetime,
    *,
    kind: str,
    retry_after: float | None,
    token_fingerprint: str | None,
    rng: random.Random,
    manual: bool = False,
) -> GateState:
    """A failed attempt of `kind` (an errors.TrayError.kind): how long everyone waits now."""
    base = replace(
        gate,
        last_attempt_at=gate.last_attempt_at or now,
        unchanged_count=0 if manual else gate.unchanged_count,
    )
    if kind in AUTH_KINDS:
        # Retrying a refused token never helps; Claude Code's next refresh brings a new fingerprint.
        return replace(
            base, next_fetch_at=None, reason="auth", backoff_step=0, blocked_token=token_fingerprint
        )
    server_until = gate.server_until if gate.server_until is not None and gate.server_until > now else None
    if kind == "rate_limited":
        step = min(gate.backoff_step + 1, _MAX_STEP) if gate.reason == "rate_limited" else 1
        wait = rate_limit_wait(step, retry_after, rng)
        reason = "rate_limited"
        asked = server_wait(retry_after)
        if asked is not None:
            asked_until = now + timedelta(seconds=asked)
            server_until = asked_until if server_until is None or asked_until > server_until else server_until
    else:  # server, network, bad_response, and anything new: back off the same way
        step = min(gate.backoff_step + 1, _MAX_STEP) if gate.reason == "backoff" else 1
        wait = backoff_wait(step, rng)
        reason = "backoff"
    until = now + timedelta(seconds=wait)
    if server_until is not None and server_until > until:
        # No outcome (a forced refresh's included) shortens a wait the server asked for.
        until, reason = server_until, "rate_limited"
    return replace(base, next_fetch_at=until, reason=reason, backoff_step=step, blocked_token=None,
                   server_until=server_until)


def rate_limit_wait(step: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait after the `step`-th 429 in a row (SPEC §4).

    The server's Retry-After as sent, up to 6 hours (a request inside it re-arms the block, and the budget is
    per account, about an hour); 5 minutes when it is missing, 0 or shorter (PEERS.md: `retry-after: 0` must
    not be trusted); doubled per repeated 429 up to an hour, or the server's value when that is longer; plus a
    few percent of jitter, only ever upwards, so trays sharing an account spread out.
    """
    honoured = server_wait(retry_after) or 0.0
    first = max(honoured, float(RATE_LIMIT_DEFAULT_S))
    wait = max(min(float(RATE_LIMIT_MAX_S), first * 2.0 ** min(max(step, 1) - 1, 16)), honoured)
    return wait * (1.0 + rng.uniform(0.0, RATE_LIMIT_JITTER))


def server_wait(retry_after: float | None) -> float | None:
    """The wait a server asked for, in seconds, capped at RETRY_AFTER_MAX_S; None when it asked for none."""
    if retry_after is None or not math.isfinite(retry_after) or retry_after <= 0:
        return None
    return min(float(retry_after), float(RETRY_AFTER_MAX_S))


def backoff_wait(step: int, rng: random.Random) -> float:
    """Full jitter (uniform up to a ceiling that doubles from 60 s to 15 min), never below 30 s."""
    ceiling = min(float(BACKOFF_MAX_S), BACKOFF_BASE_S * 2.0 ** (max(step, 1) - 1))
    return max(float(MIN_INTERVAL_S), rng.uniform(0.0, ceiling))


def _decide_manual(state: CachedState, now: datetime, *, force: bool = False) -> Decision:
    gate = state.gate
    until = gate.server_until
    if not force and until is not None and now < until and not _clock_went_back(gate, now, 0.0):
        # A request inside the server's wait re-arms the block for the whole account: nothing is sent.
        age = f"; the figures shown are {_age_words(now - state.fetched_at)} old" if state.fetched_at else ""
        return Decision(
            False,
            f"Anthropic asked to wait until {_clock_words(until, now)}{age} "
            "(`claude-tray refresh --force` asks anyway)",
            SERVER_WAIT,
            until,
        )
    if gate.last_manual_at is not None:
        since = (now - gate.last_manual_at).total_seconds()
        # A negative gap means the clock went back; that must not block the button.
        if 0 <= since < MANUAL_MIN_GAP_S:
            return Decision(
                False,
                f"refreshed {int(since)} s ago; try again in a few seconds",
                MANUAL_GAP,
                gate.last_manual_at,
            )
    return Decision(True, "manual refresh")


def _clock_went_back(gate: GateState, now: datetime, interval: float) -> bool:
    """True when the gate's times lie further ahead than any wait we ever set: the clock jumped back
    (suspend/resume, a fixed RTC), and honouring them would block fetching for hours."""
    longest = timedelta(seconds=max(float(RETRY_AFTER_MAX_S), interval) * (1.0 + RATE_LIMIT_JITTER) + CLAIM_S)
    if gate.next_fetch_at is not None and gate.next_fetch_at - now > longest:
        return True
    if gate.server_until is not None and gate.server_until - now > longest:
        return True
    # Attempts are stamped by this machine's clock: one stamped well after `now` means that clock went back.
    return gate.last_attempt_at is not None and gate.last_attempt_at - now > timedelta(seconds=2 * CLAIM_S)


def _waiting_because(state: CachedState, until: datetime) -> str:
    gate, error = state.gate, state.last_error
    # A wait set by a failure that an attempt has since followed is that attempt's claim, not the failure's.
    if gate.last_attempt_at is not None and error is not None and error.at < gate.last_attempt_at:
        return "another refresh is in progress"
    if gate.reason == "rate_limited":
        return f"rate limited until {to_local(until).strftime('%H:%M')}"
    if gate.reason == "backoff":
        kind = state.last_error.kind if state.last_error else ""
        what = _ERROR_WORDS.get(kind, "an error")
        return f"backing off after {what} until {to_local(until).strftime('%H:%M')}"
    return "another refresh is in progress"


def _clock_words(moment: datetime, now: datetime) -> str:
    """`14:05`, with the weekday when it is not within the next 20 hours."""
    local = to_local(moment)
    if moment - now > timedelta(hours=20):
        return local.strftime("%a %H:%M")
    return local.strftime("%H:%M")


def _age_words(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
