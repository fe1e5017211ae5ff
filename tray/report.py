"""Text and JSON for `claude-tray status` and `refresh`, built from the same pure view as the menu."""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

from tray.redact import redact
from tray.state import CachedState
from tray.timeparse import format_iso
from tray.usage import UsageWindow
from tray.view import build_view


def status_text(state: CachedState, now: datetime, *, credentials_problem: str | None = None) -> str:
    if not state.has_data and state.last_error is None and credentials_problem is None:
        return "No usage recorded yet: run `claude-tray refresh`, or start the tray with `claude-tray`."
    view = build_view(state, now, credentials_problem=credentials_problem)
    source = " (source: oh-my-claude)" if state.source == "oh-my-claude" else ""
    return "\n".join((*view.lines, view.status_line + source))


def status_json(state: CachedState, now: datetime, *, credentials_problem: str | None = None) -> dict[str, Any]:
    view = build_view(state, now, credentials_problem=credentials_problem)
    usage = state.usage
    error = state.last_error
    return {
        "look": view.look.value,
        "title": view.title,
        "status": view.status_line,
        "plan": state.plan,
        "source": state.source,
        "fetched_at": format_iso(state.fetched_at) if state.fetched_at else None,
        "age_seconds": round((now - state.fetched_at).total_seconds()) if state.fetched_at else None,
        "windows": [_window_json(w) for w in usage.windows()] if usage else [],
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
            out.write("\n" + redact(exchange.body) + "\n")
        out.write("\n")


def _window_json(window: UsageWindow) -> dict[str, Any]:
    return {
        "key": window.key,
        "label": window.label,
        "utilization": window.utilization,
        "resets_at": format_iso(window.resets_at) if window.resets_at else None,
    }
