"""The "Show debug error" text: the last error and the context around it. Pure, standard library only.

Apart from `tray.show.view` because only the tray's menu shows it: `claude-tray status` prints the menu's lines
and never pays for the redaction patterns or the history walk this needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from tray.base.redact import redact
from tray.base.timefmt import format_age, format_moment
from tray.forecast.projection import LABELS, projections
from tray.forecast.resets import last_reset_event
from tray.model.state import CachedState, Reading


def debug_text(
    state: CachedState,
    now: datetime,
    *,
    tz: tzinfo | None = None,
    credentials_problem: str | None = None,
    credentials_warning: str | None = None,
    share_notes: Sequence[str] = (),
) -> str:
    """The full last error and the context around it, for "Show debug error": readable, copyable, redacted.
    `share_notes`: what the share folder holds, each ignored snapshot with its reason (tray.share.link.notes)."""
    out: list[str] = []
    error = state.last_error
    if error is None:
        out.append("No error recorded.")
    else:
        out.append(f"Last error: {format_moment(error.at, tz)} ({format_age(error.at, now)})")
        out.append(f"Kind: {error.kind}")
        if error.status is not None:
            out.append(f"HTTP status: {error.status}")
        out.append(f"Message: {error.message}")
        if error.body_excerpt:
            out.append(f"Response body: {error.body_excerpt}")
    gate = state.gate
    if gate.next_fetch_at is not None and gate.next_fetch_at > now:
        why = f" ({gate.reason})" if gate.reason else ""
        out.append(f"Next automatic fetch: {format_moment(gate.next_fetch_at, tz)}{why}")
    elif gate.reason == "auth":
        out.append("Next automatic fetch: when the credentials change (auth)")
    if state.fetched_at is not None and state.usage is not None:
        source = state.source or "unknown source"
        if state.via_host:
            source += f", shared by {state.via_host}"
        out.append(f"Reading: from {source}, {format_moment(state.fetched_at, tz)} "
                   f"({format_age(state.fetched_at, now)})")
    else:
        out.append("Reading: none in the cache")
    out.extend(projection_lines(state.history, now, tz=tz))
    if credentials_problem:
        out.append(f"Credentials: {credentials_problem}")
    if credentials_warning:
        out.append(f"Warning: {credentials_warning}")
    out.extend(share_notes)
    # Stored errors are redacted before they are written; this is the second line of defence.
    return redact("\n".join(out))


def projection_lines(history: Sequence[Reading], now: datetime, *, tz: tzinfo | None = None) -> list[str]:
    """The projection's workings and the last reset that did not follow the clock, for the debug view."""
    out: list[str] = []
    for key, p in projections(history, now).items():
        out.append(f"Projection {LABELS[key]}: {p.rate:.1f} %/h ({p.rate_low:.1f}–{p.rate_high:.1f}) "
                   f"from {p.readings} readings since {format_moment(p.since, tz)}, confidence {p.confidence}")
    event = last_reset_event(history)
    if event is not None:
        words = {"early_reset": "reset early", "late_reset": "reset late", "surprise_reset": "reset by surprise"}
        announced = f", announced for {format_moment(event.announced, tz)}" if event.announced else ""
        out.append(f"Last unusual reset: {LABELS[event.window]} window {words[event.kind]} at "
                   f"{format_moment(event.at, tz)}{announced} ({event.percent_before:g}% → {event.percent_after:g}%)")
    return out
