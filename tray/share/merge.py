"""Snapshots and the cached state, both ways (SPEC §10). Pure: values and `now` in, values out.

In: the freshest reading of this account among the other machines' snapshots becomes this machine's reading
when it is newer than the one held (so the gate's "fresh reading" rule spaces every machine's requests by one
interval), marked `via` its host; a wait a server asked any machine for holds this one too.
Out: this machine's own reading (never one it took from another machine) and any server wait it knows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tray.base.values import replace
from tray.model.state import CachedState, LastError, Via
from tray.model.usage import Usage
from tray.share.snapshot import Snapshot


def freshest(snapshots: Iterable[Snapshot]) -> Snapshot | None:
    """The snapshot whose reading was fetched last (the first by host name among equals)."""
    best: Snapshot | None = None
    for snap in snapshots:
        if snap.has_reading and (best is None or snap.fetched_at > best.fetched_at):  # type: ignore[operator]
            best = snap
    return best


def longest_wait(snapshots: Iterable[Snapshot], now: datetime) -> Snapshot | None:
    """The snapshot with the latest server wait still running, or None."""
    best: Snapshot | None = None
    for snap in snapshots:
        until = snap.server_until
        if until is not None and until > now and (best is None or until > best.server_until):  # type: ignore[operator]
            best = snap
    return best


def take_in(state: CachedState, snapshots: Iterable[Snapshot], now: datetime, *, history: bool = True) -> CachedState:
    """`state` with a newer reading and a longer server wait from the snapshots; `state` itself (the same
    object) when they add nothing, so a caller can tell whether anything needs writing."""
    snapshots = tuple(snapshots)
    out = state
    taken = state.via.reading_id if state.via is not None else None  # never taken in twice, even when ours followed
    best = freshest(s for s in snapshots if (s.host, s.fetched_at) != taken)
    # A machine whose clock runs ahead (up to FUTURE_SLACK; further is ignored) stamps its readings "later than
    # now": held as of now, as the gate would take a reading from further ahead for a clock that jumped back.
    fetched = min(best.fetched_at, now) if best is not None and best.fetched_at is not None else None
    if best is not None and best.usage is not None and fetched is not None and (
        state.fetched_at is None or fetched > state.fetched_at
    ):
        usage = _merged(state.usage, best.usage, best.source)
        out = replace(
            out,
            usage=usage,
            fetched_at=fetched,
            source=best.source or "api",
            via=Via(best.host, fetched, stamped_at=best.fetched_at if best.fetched_at != fetched else None),
        )
        api_at = out.gate.api_at
        if best.source == "api" and (api_at is None or api_at < fetched):
            # The endpoint's own answer, per-model windows and all: no machine needs to top up local figures.
            out = replace(out, gate=replace(out.gate, api_at=fetched))
        if history:
            from tray.store.history import append_reading

            out = replace(out, history=append_reading(state.history, usage, fetched))
    wait = longest_wait(snapshots, now)
    held = state.gate.server_until
    if wait is not None and wait.server_until is not None and (held is None or wait.server_until > held):
        until = wait.server_until
        out = replace(out, gate=replace(out.gate, server_until=until))
        seen = wait.server_seen_at or wait.written_at
        error = state.last_error
        if error is None or error.at < seen:
            message = f"Rate limited: Anthropic asked {wait.host} to wait (HTTP 429), and the wait holds this account."
            out = replace(out, last_error=LastError(at=seen, kind="rate_limited", message=message, status=429))
    return out


def _merged(held: Usage | None, usage: Usage, source: str | None) -> Usage:
    """A status line's snapshot carries only the 5-hour and 7-day windows: per-model windows and extra usage
    held from an earlier reading stay, as they do when the status line records locally."""
    if source != "statusline" or held is None:
        return usage
    return replace(held, five_hour=usage.five_hour or held.five_hour, seven_day=usage.seven_day or held.seven_day)


def snapshot_of(state: CachedState, *, host: str, account: str | None, now: datetime) -> Snapshot | None:
    """This machine's snapshot from its state: its own reading (not one taken from another machine) and the
    server's wait; None when it has neither to tell."""
    own = state.usage is not None and state.fetched_at is not None and state.via_host is None
    until = state.gate.server_until
    waiting = until is not None and until > now
    if not own and not waiting:
        return None
    error = state.last_error
    seen = error.at if waiting and error is not None and error.kind == "rate_limited" else None
    return Snapshot(
        host=host,
        account=account,
        written_at=now,
        source=state.source if own else None,
        fetched_at=state.fetched_at if own else None,
        usage=state.usage if own else None,
        server_until=until if waiting else None,
        server_seen_at=seen,
    )
