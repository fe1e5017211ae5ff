"""Text and JSON for `claude-tray status` and `refresh`, built from the same pure view as the menu."""

from __future__ import annotations

from datetime import datetime, tzinfo

from tray.base.redact import redact
from tray.base.timefmt import locale_uses_24h
from tray.base.timeparse import format_iso
from tray.forecast.projection import Projection, is_about, projections
from tray.model.state import CachedState
from tray.model.usage import UsageWindow
from tray.show.view import as_of, assess, build_view, menu_lines

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any


def status_text(
    state: CachedState, now: datetime, *, credentials_problem: str | None = None, tz: tzinfo | None = None,
    clock_24h: bool | None = None,
) -> str:
    """The menu's lines (projections included) and its status line; `tz` None is the system's zone."""
    if not state.has_data and state.last_error is None and credentials_problem is None:
        return "No usage recorded yet: run `claude-tray refresh`, or start the tray with `claude-tray`."
    # The menu's lines and status line, without the ring and debug text a terminal never shows.
    clock = locale_uses_24h() if clock_24h is None else clock_24h
    status = assess(state, now, tz=tz, clock_24h=clock, credentials_problem=credentials_problem)
    source = " (source: oh-my-claude)" if state.source == "oh-my-claude" else ""
    return "\n".join((*menu_lines(state, now, tz=tz, clock_24h=clock), status.line + source))


def status_json(
    state: CachedState, now: datetime, *, credentials_problem: str | None = None, tz: tzinfo | None = None
) -> dict[str, Any]:
    view = build_view(state, now, credentials_problem=credentials_problem, tz=tz)
    usage = as_of(state, now).usage  # a window whose reset has passed reads 0 % (SPEC §4)
    ahead = projections(state.history, now, paces=state.paces)
    error = state.last_error
    return {
        "look": view.look.value,
        "title": view.title,
        "status": view.status_line,
        "plan": state.plan,
        "source": state.source,
        "via": state.via_host,  # the host whose shared snapshot gave the reading (SPEC §10), or null
        "fetched_at": format_iso(state.fetched_at) if state.fetched_at else None,
        "age_seconds": round((now - state.fetched_at).total_seconds()) if state.fetched_at else None,
        "windows": [_window_json(w, ahead.get(w.key)) for w in usage.windows()] if usage else [],
        "extra_usage": usage.extra.to_dict() if usage and usage.extra else None,
        "last_error": error.to_dict() if error else None,
        "next_fetch_at": format_iso(state.gate.next_fetch_at) if state.gate.next_fetch_at else None,
        "gate_reason": state.gate.reason or None,
        "credentials_problem": credentials_problem,
    }


def print_exchanges(exchanges: list, out: IO[str]) -> None:
    """`refresh --debug`: every request and answer, already redacted by the client, redacted again here."""
    for exchange in exchanges:
        out.write(f"> {exchange.method} {exchange.url}\n")
        for name, value in exchange.request_headers.items():
            out.write(f"> {name}: {redact(value)}\n")
        if exchange.error:
            out.write(f"! {redact(exchange.error)}\n")
        if exchange.status is not None:
            out.write(f"< HTTP {exchange.status} ({exchange.elapsed_s * 1000:.0f} ms)\n")
        for name, value in exchange.response_headers.items():
            out.write(f"< {name}: {redact(value)}\n")
        if exchange.body:
            # Every line of the server's making marked as the server's (SPEC §8): a body cannot forge one of ours.
            out.write("<\n" + "".join(f"< {line}\n" for line in redact(exchange.body).splitlines()))
        out.write("\n")


def _window_json(window: UsageWindow, found: Projection | None) -> dict[str, Any]:
    if found is not None and not is_about(found, window.utilization):
        found = None
    return {
        "key": window.key,
        "label": window.label,
        "utilization": window.utilization,
        "resets_at": format_iso(window.resets_at) if window.resets_at else None,
        "projection": _projection_json(found) if found is not None and window.utilization < 100 else None,
    }


def _projection_json(found: Projection) -> dict[str, Any]:
    """`limit_at` null means it lasts until the reset at this pace; `earliest`/`latest` at the fastest and
    slowest stretch of the period (null: lasts until reset at that rate)."""
    def moment(value: datetime | None) -> str | None:
        return format_iso(value) if value is not None else None

    return {
        "rate_percent_per_hour": round(found.rate, 2),
        "rate_low": round(found.rate_low, 2),
        "rate_high": round(found.rate_high, 2),
        "limit_at": moment(found.limit_at),
        "lasts_until_reset": found.lasts_until_reset,
        "earliest": moment(found.earliest),
        "latest": moment(found.latest),
        "confidence": found.confidence,
        "readings": found.readings,
        "since": moment(found.since),
    }
