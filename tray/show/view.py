"""What the tray shows, as plain values: cached state + `now` -> tooltip, menu lines, ring spec (SPEC §5).

Pure and standard-library only: no pystray, no files, no clock. The figures of the last good reading stay
visible in every look; the look and the status line say how far to trust them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from tray.base.timefmt import (
    format_age,
    format_clock,
    format_coarse,
    format_countdown,
    format_weekday_clock,
    locale_uses_24h,
    nearest_minute,
    to_local,
)
from tray.base.values import record
from tray.forecast.projection import is_about, pace_phrase, projections
from tray.model.pace import Paces
from tray.model.state import CachedState, Reading
from tray.model.usage import ExtraUsage, Usage, UsageWindow, whole_percent
from tray.show.choice import IconChoice, choose, figure_text, label_text, short_name
from tray.show.look import Look, RingSpec
from tray.store.settings import Settings, settings_of

TITLE_LIMIT = 127  # Windows truncates tray titles at 128 characters including the terminator
PACE_MARGIN = 0.10  # usage this far ahead of elapsed time is worth a warning tick
_LABEL_LIMIT = 32
_PLANS = {"pro": "Pro", "max": "Max", "team": "Team", "enterprise": "Enterprise", "free": "Free"}
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
STALE_AFTER = timedelta(minutes=10)
_SIGNED_OUT_KINDS = frozenset({"signed_out", "no_credentials", "malformed"})
_REFUSED_KINDS = frozenset({"auth", "expired", "scope"})
_OFFLINE_KINDS = frozenset({"network", "server", "bad_response", "unrecognised"})
_SIGNED_OUT_WORDS = {
    "signed_out": "Signed out — run `claude` to sign in",
    "no_credentials": "No Claude Code sign-in found — run `claude` to sign in",
    "malformed": "Claude Code's credentials are unreadable — run `claude` to sign in again",
}
_REFUSED_WORDS = {
    "expired": ("Token expired — run `claude` once to refresh", "token expired"),
    "auth": ("Token refused (HTTP 401) — run `claude` once to refresh", "token refused"),
    # A `claude setup-token` token carries only user:inference; the usage endpoint wants user:profile.
    "scope": ("Token lacks the user:profile scope — sign in with `claude` (not a setup token)", "scope missing"),
}


@record
class Status:
    look: Look
    line: str  # the menu's status line
    short: str  # the tooltip's state suffix, "" when all is well


@record
class MenuView:
    title: str  # tooltip, at most TITLE_LIMIT characters
    lines: tuple[str, ...]  # informational (disabled) menu lines, in order
    look: Look
    ring: RingSpec
    status_line: str
    label: str = ""  # the text beside the icon where the host has a label (`label` setting): "47%", "47% · 2h13m"


def build_view(
    state: CachedState,
    now: datetime,
    *,
    tz: tzinfo | None = None,
    clock_24h: bool | None = None,
    stale_after: timedelta = STALE_AFTER,
    credentials_problem: str | None = None,
    label: str | None = None,
    settings: Settings | None = None,
) -> MenuView:
    """Everything the menu, tooltip and icon show for `state` at `now`, in `tz` (None: the system's zone).

    `credentials_problem` is the kind of a live credentials check (`signed_out`, `no_credentials`, `expired`,
    `scope`, …); `label` names the account when several are watched. `settings` (SPEC §9; None: those stored
    in `state`) choose what the icon shows and whether figures count used or remaining. The debug text is
    not part of it: the tray writes it when "Show debug error" is chosen (tray.show.debugtext).
    """
    state = as_of(state, now)
    clock = locale_uses_24h() if clock_24h is None else clock_24h
    status = assess(state, now, tz=tz, clock_24h=clock, stale_after=stale_after,
                    credentials_problem=credentials_problem)
    name = _clean_label(label)
    usage = state.usage
    settings = settings_of(state) if settings is None else settings
    choice = choose(usage, settings.icon)
    return MenuView(
        title=_title(usage, status, name, now=now, tz=tz, clock_24h=clock, remaining=settings.remaining,
                     fetched_at=state.fetched_at, via=state.via_host),
        lines=menu_lines(state, now, tz=tz, clock_24h=clock, label=label, settings=settings),
        look=status.look,
        ring=ring_spec(usage, now, status.look, choice=choice, remaining=settings.remaining),
        status_line=status.line,
        label=label_text(choice, now, mode=settings.label, remaining=settings.remaining) if usage else "",
    )


def menu_lines(
    state: CachedState, now: datetime, *, tz: tzinfo | None, clock_24h: bool, label: str | None = None,
    settings: Settings | None = None,
) -> tuple[str, ...]:
    """The menu's informational lines: the plan (and account), then `usage_lines`, counted as the settings
    (None: those stored in `state`) say, with what the icon shows when it is not the usual pair of rings."""
    state = as_of(state, now)
    lines: list[str] = []
    plan = _plan_line(state.plan, _clean_label(label))
    if plan:
        lines.append(plan)
    settings = settings_of(state) if settings is None else settings
    if state.usage is not None:
        choice = choose(state.usage, settings.icon)
        lines.extend(usage_lines(state.usage, now, tz=tz, clock_24h=clock_24h, history=state.history,
                                 paces=state.paces, remaining=settings.remaining, inner_note=not choice.single))
        if choice.note:
            lines.append(choice.note)
        lines.extend(wedge_lines(choice.outer, choice.inner, now))
    return tuple(lines)


def wedge_lines(outer: UsageWindow | None, inner: UsageWindow | None, now: datetime) -> list[str]:
    """What the wedge on a ring means, one line per ring that shows one (a wedge without words was a puzzle)."""
    lines = []
    for window in (outer, inner):
        elapsed = pace(window, now)
        if window is not None and elapsed is not None and _ahead(window, elapsed):
            lines.append(f"▼ on the ring: {window.label} ahead of pace — {percent(window.utilization)} used, "
                         f"{round(elapsed * 100)}% of its time gone")
    return lines


def assess(
    state: CachedState,
    now: datetime,
    *,
    tz: tzinfo | None = None,
    clock_24h: bool = True,
    stale_after: timedelta = STALE_AFTER,
    credentials_problem: str | None = None,
) -> Status:
    """The look and status line, by priority: signed out, refused token, rate limited, offline, stale, ok."""
    usage, fetched = state.usage, state.fetched_at
    stale = usage is not None and (fetched is None or now - fetched > stale_after)
    error = state.last_error
    # An error older than the reading was overcome by it (a later fetch, or Claude Code's status line).
    kind = error.kind if error is not None and (fetched is None or error.at > fetched) else None
    host = state.via_host  # the reading came from another machine's snapshot (SPEC §10)
    age = f" · {updated_phrase(fetched, now, host)}" if usage is not None and fetched is not None else ""
    old = f", {format_coarse(now - fetched)} old" if stale and fetched is not None else ""
    # Without credentials a fresh reading (from Claude Code's status line) is still the truth; it only
    # becomes a problem once nothing can refresh it.
    # A refused token recorded earlier is about credentials that are gone now: say signed out, not "expired".
    if kind in _SIGNED_OUT_KINDS or (credentials_problem in _SIGNED_OUT_KINDS
                                     and (usage is None or stale or kind in _REFUSED_KINDS)):
        which = kind if kind in _SIGNED_OUT_KINDS else credentials_problem
        return Status(Look.SIGNED_OUT, _SIGNED_OUT_WORDS[str(which)] + age, "signed out" + old)
    refused = kind if kind in _REFUSED_KINDS else credentials_problem
    if refused in _REFUSED_WORDS:
        line, short = _REFUSED_WORDS[str(refused)]
        return Status(Look.EXPIRED, line + age, short + old)
    next_try = _next_try(state.gate.next_fetch_at, now, tz, clock_24h)
    if kind == "rate_limited":
        return Status(Look.RATE_LIMITED, f"Rate limited — {next_try}{age}", "rate limited" + old)
    if kind in _OFFLINE_KINDS:
        code = f" (HTTP {error.status})" if error is not None and error.status else ""
        words, short = {
            "network": ("Offline", "offline"),
            "server": (f"Server error{code}", "server error"),
            "bad_response": (f"Unreadable answer from the usage endpoint{code}", "bad answer"),
            "unrecognised": ("Unrecognised answer from the usage endpoint", "unrecognised answer"),
        }[str(kind)]
        return Status(Look.OFFLINE, f"{words} — {next_try}{age}", short + old)
    if usage is None:
        return Status(Look.STALE, "No reading yet", "no data yet")
    if stale or fetched is None:  # a reading without its time is stale
        if fetched is None:
            return Status(Look.STALE, "Stale: age unknown", "stale")
        short = f"stale {format_coarse(now - fetched)}"
        return Status(Look.STALE, f"Stale: {updated_phrase(fetched, now, host)}", short)
    if host:
        return Status(Look.OK, "Updated " + updated_phrase(fetched, now, host), "")
    via = {"statusline": " via Claude Code", "claude-code": " via Claude Code",
           "oh-my-claude": " via oh-my-claude"}.get(state.source or "", "")
    return Status(Look.OK, f"Updated {format_age(fetched, now)}{via}", "")


def refreshed_recently(last_manual: datetime, now: datetime) -> str:
    """"Refresh now" held back because the last one was seconds ago: nothing was fetched, and this says so."""
    seconds = max(0, int((now - last_manual).total_seconds()))
    return f"Refreshed {seconds} s ago — try again in a few seconds"


def updated_phrase(fetched: datetime, now: datetime, host: str | None) -> str:
    """`updated 3 min ago`, or `via laptop · 3 min ago` for a reading another machine shared (SPEC §10)."""
    return f"via {host} · {format_age(fetched, now)}" if host else f"updated {format_age(fetched, now)}"


def _next_try(moment: datetime | None, now: datetime, tz: tzinfo | None, clock_24h: bool) -> str:
    if moment is None or moment <= now:
        return "retrying"
    local = to_local(nearest_minute(moment), tz)
    return f"next try {format_clock(local, clock_24h)} ({format_countdown(moment, now)})"


def usage_lines(
    usage: Usage, now: datetime, *, tz: tzinfo | None, clock_24h: bool, history: Sequence[Reading] = (),
    paces: Paces | None = None, remaining: bool = False, inner_note: bool = True,
) -> list[str]:
    """One line per window (null windows are absent, never 0 %), each followed by its projection when the
    history gives one (`at this pace: …`, tray.forecast.projection), the inner-ring note, extra usage."""
    ahead = projections(history, now, paces=paces)
    lines: list[str] = []
    for window in usage.windows():
        lines.append(window_line(window, now, tz=tz, clock_24h=clock_24h, remaining=remaining))
        found = ahead.get(window.key)
        if found is not None and window.utilization < 100 and is_about(found, window.utilization):
            lines.append(pace_phrase(found, now, tz=tz, clock_24h=clock_24h))
    peak = usage.weekly_peak()
    if inner_note and peak is not None and peak is not usage.seven_day:
        lines.append(f"Inner ring: {peak.label} ({figure_text(peak.utilization, remaining)})")
    extra = extra_usage_line(usage.extra)
    if extra:
        lines.append(extra)
    return lines


def window_line(
    window: UsageWindow, now: datetime, *, tz: tzinfo | None, clock_24h: bool, remaining: bool = False
) -> str:
    """`5-hour 47% — resets in 2 h 13 m (14:00)`, `7-day 21% — resets Thu 09:00`; `7-day 79% left — …`."""
    figure = figure_text(window.utilization, remaining)
    return f"{window.label} {figure} — {reset_phrase(window, now, tz=tz, clock_24h=clock_24h)}"


def as_of(state: CachedState, now: datetime) -> CachedState:
    """`state` as it is true at `now`: a window whose reset has passed is over, shown at 0 % until a new reading
    arrives (SPEC §4) — never the pre-reset figure, which could read "critical" for an hour under a 429."""
    usage, fetched = state.usage, state.fetched_at

    def is_over(window: UsageWindow) -> bool:  # reset since it was read (a reading taken after it says otherwise)
        reset = window.resets_at
        return reset is not None and reset <= now and (fetched is None or reset > fetched)

    if usage is None or not any(is_over(w) for w in usage.windows()):
        return state
    from tray.base.values import replace

    def over(window: UsageWindow | None) -> UsageWindow | None:
        if window is None or not is_over(window) or window.utilization == 0.0:
            return window
        return replace(window, utilization=0.0, severity=None)

    reset = replace(usage, five_hour=over(usage.five_hour), seven_day=over(usage.seven_day),
                    models=tuple(over(w) or w for w in usage.models))
    return replace(state, usage=reset)


def reset_phrase(window: UsageWindow, now: datetime, *, tz: tzinfo | None, clock_24h: bool) -> str:
    """`resets in 2 h 13 m (14:00)` for the 5-hour window; weekday and time for weekly ones."""
    if window.resets_at is None:
        return "not started"
    local = to_local(nearest_minute(window.resets_at), tz)
    if window.resets_at <= now and window.utilization > 0:
        return "reset due — refresh"  # read after its own reset time: only a fetch can say what it is now
    if window.resets_at <= now:
        # The window is over (`as_of` shows it at 0 %); its successor starts with the next message.
        when = format_clock(local, clock_24h) if window.period <= timedelta(days=1) or now - window.resets_at < (
            timedelta(hours=20)) else format_weekday_clock(local, clock_24h)
        return f"reset at {when} — starts with your next message"
    countdown = format_countdown(window.resets_at, now)
    if window.period <= timedelta(days=1):
        return f"resets {countdown} ({format_clock(local, clock_24h)})"
    if window.resets_at - now < timedelta(days=1):
        return f"resets {countdown} ({format_weekday_clock(local, clock_24h)})"
    return f"resets {format_weekday_clock(local, clock_24h)}"


def extra_usage_line(extra: ExtraUsage | None) -> str | None:
    """Paid usage beyond the plan, in its own currency; None when it is off."""
    if extra is None or not extra.is_enabled:
        return None
    places, code = extra.decimal_places, extra.currency
    if extra.monthly_limit is None:
        if extra.used_credits is None:
            return "Extra usage: on"
        return f"Extra usage: {money(extra.used_credits, code, places)} used (no monthly limit)"
    used = extra.used_credits or 0.0
    share = extra.utilization
    if share is None and extra.monthly_limit > 0:
        share = 100 * used / extra.monthly_limit
    tail = f" ({percent(share)})" if share is not None else ""
    return f"Extra usage: {money(used, code, places)} of {money(extra.monthly_limit, code, places)}{tail}"


def money(minor_units: float, currency: str | None, decimal_places: int = 2) -> str:
    """`$408.43`, `€20.00`, `CHF 12.50` from minor units (cents)."""
    amount = f"{minor_units / 10 ** decimal_places:,.{decimal_places}f}"
    if currency is None:
        return amount
    symbol = _CURRENCY_SYMBOLS.get(currency.upper())
    return symbol + amount if symbol else f"{currency.upper()} {amount}"


def percent(utilization: float) -> str:
    """Whole percent, rounded down like oh-my-claude (99.7 is not yet 100 %); above 100 stays as it is."""
    return f"{max(0, whole_percent(utilization))}%"


def ring_spec(
    usage: Usage | None, now: datetime, look: Look, *, choice: IconChoice | None = None, remaining: bool = False
) -> RingSpec:
    """Outer ring 5-hour, inner ring the weekly peak (or the one window `choice` picked, drawn alone);
    pace = elapsed share of each window."""
    single = choice is not None and choice.single
    if usage is None:
        return RingSpec(look=look, single=single, remaining=remaining)
    outer, inner = (choice.outer, choice.inner) if choice is not None else (usage.five_hour, usage.weekly_peak())
    outer_pace, inner_pace = pace(outer, now), pace(inner, now)
    return RingSpec(
        look=look,
        outer=outer.utilization if outer else None,
        inner=inner.utilization if inner else None,
        outer_pace=outer_pace,
        inner_pace=inner_pace,
        outer_ahead=_ahead(outer, outer_pace),
        inner_ahead=_ahead(inner, inner_pace),
        single=single,
        remaining=remaining,
    )


def pace(window: UsageWindow | None, now: datetime) -> float | None:
    """How much of the window has elapsed, 0–1; None when it has not started or has no reset time."""
    if window is None or window.resets_at is None or window.period <= timedelta(0) or window.resets_at <= now:
        return None  # not started, or over (its successor starts with the next message)
    elapsed = 1 - (window.resets_at - now) / window.period
    return min(1.0, max(0.0, elapsed))


def _title(
    usage: Usage | None, status: Status, label: str | None, *, now: datetime, tz: tzinfo | None = None,
    clock_24h: bool = True, remaining: bool = False, fetched_at: datetime | None = None, via: str | None = None,
) -> str:
    """The tooltip and accessible name: one sentence with every figure and the age (screen readers read it,
    and some hosts show no tooltip): `Claude usage: 5-hour 47 %, resets 14:00; weekly 21 %; Fable 80 %;
    updated 3 min ago`."""
    parts: list[str] = []
    if usage is not None:
        for window in usage.windows():
            part = f"{short_name(window)} {figure_text(window.utilization, remaining, spaced=True)}"
            if window.key == "five_hour" and window.resets_at is not None and window.resets_at > now:
                part += f", resets {format_clock(to_local(nearest_minute(window.resets_at), tz), clock_24h)}"
            parts.append(part)
        extra = usage.extra
        if extra is not None and extra.is_enabled and extra.used_credits:
            parts.append("extra usage " + money(extra.used_credits, extra.currency, extra.decimal_places))
        if fetched_at is not None:
            parts.append(updated_phrase(fetched_at, now, via))
    if status.short:
        parts.append(status.short)
    title = "Claude usage: " + ("; ".join(parts) if parts else "no reading yet")
    if label:
        title = f"{label} — {title}"
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"


def _plan_line(plan: str | None, label: str | None) -> str | None:
    line = f"Plan: {_PLANS.get(plan, plan.capitalize())}" if plan else None
    if label:
        return f"{label} — {line}" if line else f"Account: {label}"
    return line


def _clean_label(label: str | None) -> str | None:
    """A config-dir label is user input: one short line, nothing token-shaped."""
    if not label:
        return None
    from tray.base.redact import redact  # its patterns are compiled at import: only when there is a label

    text = re.sub(r"\s+", " ", redact(label)).strip()
    if len(text) > _LABEL_LIMIT:
        text = text[: _LABEL_LIMIT - 1] + "…"
    return text or None


def _ahead(window: UsageWindow | None, elapsed: float | None) -> bool:
    return window is not None and elapsed is not None and window.utilization / 100 > elapsed + PACE_MARGIN
