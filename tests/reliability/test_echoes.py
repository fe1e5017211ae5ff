"""A server that echoes the token back in any disguise, and answers no usage endpoint would give: the token is
masked everywhere it could be stored or shown, server text is escaped before a terminal or menu sees it, and
what is kept of an answer is bounded (SPEC §8)."""

from __future__ import annotations

import html
import io
import json
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from tests.reliability.conftest import TOKEN, TOKEN_CORE, cache_of, tray_env
from tray.cli import main
from tray.fetching.fetch import run_fetch
from tray.model.usage import MAX_MODEL_WINDOWS, parse_usage
from tray.show.debugtext import debug_text
from tray.show.notify import due_notifications
from tray.show.report import status_text
from tray.show.view import build_view
from tray.store.cache import read_state

PREFIX, CORE = TOKEN[: len(TOKEN) - len(TOKEN_CORE) - len("-testonly")], TOKEN_CORE + "-testonly"
RESET = "2026-11-30T15:00:00Z"


def leaks(text: str) -> list[str]:
    """Every 12-character slice of the token's secret part found in `text`, read the ways a person or a
    program could read it back: as is, any case, percent- JSON- or HTML-unescaped, markup removed."""
    readings = [text, unquote(text), html.unescape(text), re.sub(r"<[^>]*>", "", text),
                re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)]
    core = CORE.lower()
    slices = {core[i:i + 12] for i in range(len(core) - 11)}
    return sorted({s for reading in readings for s in slices if s in reading.lower()})


def usage(**extra: object) -> dict:
    return {"five_hour": {"utilization": 47, "resets_at": RESET}, "seven_day": {"utilization": 21, "resets_at": RESET},
            **extra}


# name -> (status, body, headers)
ECHOES = {
    "without its prefix in a 401": (401, json.dumps({"error": {"message": f"bad token {CORE}"}}), {}),
    "split by a tag in a 500 page": (500, f"<html><p>{TOKEN[:30]}<b></b>{TOKEN[30:]}</p></html>", {}),
    "JSON-escaped in a 200 that is not usage": (200, json.dumps({"echo": TOKEN}).replace("-", "\\u002d"), {}),
    "upper-cased in a header": (429, "{}", {"X-Echo": TOKEN.upper(), "Retry-After": "60"}),
    "percent-escaped in a header": (503, "{}", {"X-Echo": TOKEN.replace("-", "%2D")}),
    "a slice in a header": (503, "{}", {"X-Echo": CORE[5:25]}),
    "as a header name": (503, "{}", {f"X-{CORE[:40]}": "1"}),
    "as a window name": (200, json.dumps(usage(limits=[
        {"kind": "weekly_scoped", "percent": 85, "resets_at": RESET, "scope": {"model": {"display_name": TOKEN}}},
        {"kind": "weekly_scoped", "percent": 90, "resets_at": RESET, "scope": {"model": {"display_name": CORE[3:30]}}},
    ])), {}),
    "as a window key": (200, json.dumps(usage(**{f"seven_day_{CORE}": {"utilization": 95, "resets_at": RESET}})), {}),
    "as the currency": (200, json.dumps(usage(extra_usage={
        "is_enabled": True, "monthly_limit": 5000, "used_credits": 4900, "utilization": 98, "currency": TOKEN})), {}),
}


@pytest.mark.parametrize("case", sorted(ECHOES))
def test_an_echoed_token_is_masked_in_cache_status_debug_menu_and_notifications(
    case: str, home_factory, httpserver: HTTPServer, capsys, monkeypatch, figures
) -> None:
    status, body, headers = ECHOES[case]
    httpserver.expect_request("/u").respond_with_data(body, status=status, headers=headers)
    home = home_factory()
    env = tray_env(home, httpserver.url_for("/u"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    seen: dict[str, str] = {}
    for argv in (["refresh", "--debug"], ["status"], ["status", "--json"]):
        main(argv, env)
        captured = capsys.readouterr()
        seen[" ".join(argv)] = captured.out + captured.err
    assert httpserver.log, "the server was asked"
    now = datetime.now(timezone.utc)
    state = read_state(cache_of(home))
    view = build_view(state, now)
    seen["cache"] = cache_of(home).read_text(encoding="utf-8", errors="replace")
    seen["menu"] = "\n".join((*view.lines, view.title, view.status_line, debug_text(state, now)))
    seen["notifications"] = " ".join(n.title + n.message for n in due_notifications(state, now))
    found = {where: leaks(text) for where, text in seen.items() if leaks(text)}
    assert found == {}
    figures(f"echoes.{case.replace(' ', '_')}", places=len(seen), leaks=0)


# --- answers no usage endpoint would give ----------------------------------------------------------

def named(name: str, percent: float = 85) -> dict:
    return usage(limits=[{"kind": "weekly_scoped", "percent": percent, "resets_at": RESET,
                          "scope": {"model": {"display_name": name}}}])


@pytest.mark.parametrize("name", [
    "\x1b]0;pwned\x07Fable",  # sets the terminal's title
    "\x1b[2J\x1b[HFable",  # clears the screen
    "Fable\n5-hour 3%\n7-day 1%",  # forges lines under the real figures
    "Fable\r5-hour 3%",
    "Fable\u2028 5-hour 3%",
    "Fa\u202eelbaf",
    "\x9b2J Fable",
])
def test_a_window_name_is_one_escaped_line_wherever_it_shows(name: str) -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    parsed = parse_usage(named(name))
    [model] = parsed.models
    assert model.label.isprintable() and "\n" not in model.label
    from tray.model.state import CachedState

    state = CachedState(usage=parsed, fetched_at=now, source="api")
    text = status_text(state, now, tz=timezone.utc)
    assert "\x1b" not in text and "\r" not in text and "\x9b" not in text and "\u2028" not in text
    assert sum(1 for line in text.splitlines() if line.lstrip().startswith("5-hour")) == 1
    view = build_view(state, now)
    assert all(line.isprintable() for line in (*view.lines, view.title))


def test_a_lone_surrogate_in_a_window_name_keeps_the_reading_and_the_gate(
    home_factory, httpserver: HTTPServer
) -> None:
    # JSON text that Python reads as a lone surrogate: UTF-8 cannot write it.
    body = json.dumps(named("Fable \ud83d")).encode("ascii")
    assert b"\\ud83d" in body
    httpserver.expect_request("/u").respond_with_data(body, content_type="application/json")
    home = home_factory()
    env = tray_env(home, httpserver.url_for("/u"))
    now = datetime.now(timezone.utc)
    first = run_fetch(cache_of(home), now, env=env)
    assert first.fetched and first.error is None, first
    state = read_state(cache_of(home))
    assert state.usage is not None and [m.label for m in state.usage.models] == ["7-day Fable \\ud83d"]
    again = run_fetch(cache_of(home), now + timedelta(seconds=20), env=env)
    assert not again.fetched  # the gate was stored: a second tray does not ask again at once
    assert len(httpserver.log) == 1


def test_seventeen_thousand_windows_keep_a_few_dozen_and_a_small_cache(home_factory, httpserver: HTTPServer) -> None:
    answer = usage(**{f"seven_day_m{i}": {"utilization": i % 100, "resets_at": None} for i in range(17_000)})
    body = json.dumps(answer, separators=(",", ":"))
    assert len(body) < 1 << 20
    httpserver.expect_request("/u").respond_with_data(body, content_type="application/json")
    home = home_factory()
    outcome = run_fetch(cache_of(home), datetime.now(timezone.utc), env=tray_env(home, httpserver.url_for("/u")))
    assert outcome.error is None
    state = read_state(cache_of(home))
    assert len(state.usage.models) == MAX_MODEL_WINDOWS
    assert cache_of(home).stat().st_size < 64 * 1024
    text = status_text(state, datetime.now(timezone.utc))
    assert len(text.splitlines()) < MAX_MODEL_WINDOWS + 15


def test_thirteen_thousand_limits_entries_parse_in_linear_time(figures) -> None:
    def entries(count: int) -> dict:
        return usage(limits=[{"kind": "weekly_scoped", "percent": 5, "resets_at": RESET,
                              "scope": {"model": {"display_name": f"Model {i}"}}} for i in range(count)])

    big = entries(13_500)
    started = time.process_time()
    parsed = parse_usage(big)
    took = time.process_time() - started
    assert len(parsed.models) == MAX_MODEL_WINDOWS
    assert took < 1.0  # measured 9.9 s of CPU when every entry was compared with every window kept
    figures("hostile.limits_13500", cpu_s=round(took, 3))


def test_the_cache_read_back_is_as_safe_as_the_answer(tmp_path: Path) -> None:
    """A planted cache is outside data too: its names are escaped and bounded the same way."""
    from tray.model.usage import Usage

    raw = {"five_hour": None, "seven_day": None, "extra": None, "models": [
        {"key": f"k{i}", "label": "\x1b[2JFable\n5-hour 3%", "utilization": 5, "period_s": 604800}
        for i in range(500)]}
    parsed = Usage.from_dict(raw)
    assert parsed is not None and len(parsed.models) == MAX_MODEL_WINDOWS
    assert all(m.label.isprintable() for m in parsed.models)


# --- redaction, fuzzed ----------------------------------------------------------------------------------

def disguise(text: str, how: str, spots: list[int]) -> str:
    """`text` written back the way a server might echo it: case changed, characters escaped, markup in it."""
    if how == "upper":
        return text.upper()
    if how == "swapcase":
        return text.swapcase()
    out = []
    for i, char in enumerate(text):
        if i in spots:
            out.append({"json": f"\\u{ord(char):04x}", "percent": f"%{ord(char):02X}", "entity": f"&#{ord(char)};",
                        "tag": f"<span class=t{i}>{char}</span>", "plain": char}[how])
        else:
            out.append(char)
    return "".join(out)


@given(
    start=st.integers(0, len(CORE) - 12), length=st.integers(12, len(CORE)),
    how=st.sampled_from(["plain", "upper", "swapcase", "json", "percent", "entity", "tag"]),
    spots=st.lists(st.integers(0, len(CORE)), max_size=8), prefix=st.booleans(),
    before=st.text(max_size=30), after=st.text(max_size=30),
)
def test_any_12_character_slice_of_the_token_is_masked_however_it_is_written(
    start: int, length: int, how: str, spots: list[int], prefix: bool, before: str, after: str
) -> None:
    from tray.base.redact import redact

    piece = (PREFIX if prefix else "") + CORE[start:start + length]
    echoed = before + disguise(piece, how, spots) + after
    masked = redact(echoed, (TOKEN,))
    assert leaks(masked) == [], (echoed, masked)


def test_no_line_of_a_servers_making_passes_for_one_of_ours_in_refresh_debug(
    home_factory, httpserver: HTTPServer, capsys, monkeypatch
) -> None:
    forged = "oops\nclaude-tray: 5-hour 3% (all fine)\n\x1b]0;owned\x07\r5-hour 3%"
    httpserver.expect_request("/u").respond_with_data(forged, status=500, headers={"X-Note": "a\x1b[2Jb"})
    home = home_factory()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    main(["refresh", "--debug"], tray_env(home, httpserver.url_for("/u")))
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out
    body = out[out.index("< HTTP 500"):]
    assert all(line.startswith("<") or not line for line in body.splitlines()), body
