"""What the shared cache holds, as values (SPEC §3). Pure, standard library only.

The file itself is read and written by `tray.store.cache`; this module only turns its JSON into frozen
values and back. Everything of ours sits under the `tray` key; `pro` and `updated_at` follow
oh-my-claude's exact format; every other key (`code`, …) belongs to someone else and is never touched.
Reading is tolerant: a foreign or half-written section reads as "absent", never as an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from tray.base.numbers import finite_number
from tray.base.timeparse import format_iso, format_utc, parse_timestamp
from tray.base.values import field, record, replace
from tray.model.pace import Paces
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow, whole_percent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HISTORY_LIMIT = 720  # the newest readings pace and projection use: 12 h at one a minute
HISTORY_MAX = 2000  # readings kept (SPEC §11): 12 h of minutes and 8 days of 10-minute steps (tray.store.history)


@record
class LastError:
    at: datetime
    kind: str  # an errors.TrayError.kind: auth, scope, rate_limited, server, network, bad_response, expired, …
    message: str  # one sentence, already redacted
    status: int | None = None
    body_excerpt: str = ""  # redacted, at most a few hundred characters

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": format_iso(self.at),
            "kind": self.kind,
            "message": self.message,
            "status": self.status,
            "body_excerpt": self.body_excerpt,
        }

    @classmethod
    def from_dict(cls, raw: object) -> LastError | None:
        if not isinstance(raw, Mapping):
            return None
        at = parse_timestamp(raw.get("at"))
        kind, message = raw.get("kind"), raw.get("message")
        if at is None or not isinstance(kind, str) or not isinstance(message, str):
            return None
        status = raw.get("status")
        body = raw.get("body_excerpt")
        return cls(
            at=at,
            kind=kind,
            message=message,
            status=status if isinstance(status, int) and not isinstance(status, bool) else None,
            body_excerpt=body if isinstance(body, str) else "",
        )


@record
class GateState:
    """The fetch gate every process obeys (SPEC §4); decisions are in `tray.fetching.gate`."""

    next_fetch_at: datetime | None = None  # no automatic fetch before this moment
    reason: str = ""  # why we wait: "", "interval", "rate_limited", "backoff", "auth"
    backoff_step: int = 0  # consecutive failures of the current kind
    unchanged_count: int = 0  # successful fetches in a row whose reading did not change
    interval_s: float = 0.0  # the current (possibly stretched) poll interval; 0 = base
    blocked_token: str | None = None  # fingerprint (not the token) of credentials refused by 401/403
    last_attempt_at: datetime | None = None
    last_manual_at: datetime | None = None
    server_until: datetime | None = None  # the end of a wait the server asked for (429 Retry-After): holds manual too
    api_at: datetime | None = None  # the last reading from the endpoint itself (local sources lack some windows)
    peer_attempt_at: datetime | None = None  # oh-my-claude's last fetch, seen as its rewrite (failed ones too)

    def to_dict(self) -> dict[str, Any]:
        return {
            "next_fetch_at": format_iso(self.next_fetch_at) if self.next_fetch_at else None,
            "reason": self.reason,
            "backoff_step": self.backoff_step,
            "unchanged_count": self.unchanged_count,
            "interval_s": self.interval_s,
            "blocked_token": self.blocked_token,
            "last_attempt_at": format_iso(self.last_attempt_at) if self.last_attempt_at else None,
            "last_manual_at": format_iso(self.last_manual_at) if self.last_manual_at else None,
            "server_until": format_iso(self.server_until) if self.server_until else None,
            "api_at": format_iso(self.api_at) if self.api_at else None,
            "peer_attempt_at": format_iso(self.peer_attempt_at) if self.peer_attempt_at else None,
        }

    @classmethod
    def from_dict(cls, raw: object) -> GateState:
        if not isinstance(raw, Mapping):
            return cls()
        reason = raw.get("reason")
        blocked = raw.get("blocked_token")
        return cls(
            next_fetch_at=parse_timestamp(raw.get("next_fetch_at")),
            reason=reason if isinstance(reason, str) else "",
            backoff_step=_small_int(raw.get("backoff_step")),
            unchanged_count=_small_int(raw.get("unchanged_count")),
            interval_s=_seconds(raw.get("interval_s")),
            blocked_token=blocked if isinstance(blocked, str) else None,
            last_attempt_at=parse_timestamp(raw.get("last_attempt_at")),
            last_manual_at=parse_timestamp(raw.get("last_manual_at")),
            server_until=parse_timestamp(raw.get("server_until")),
            api_at=parse_timestamp(raw.get("api_at")),
            peer_attempt_at=parse_timestamp(raw.get("peer_attempt_at")),
        )


@record
class Reading:
    """One point of the pace history."""

    at: datetime
    five_hour: float | None
    seven_day: float | None
    five_hour_resets_at: datetime | None = None
    seven_day_resets_at: datetime | None = None
    event: str | None = None  # "<window>:early_reset", ":late_reset", ":surprise_reset" (projection restarts there)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": format_iso(self.at), "5h": self.five_hour, "7d": self.seven_day}
        if self.five_hour_resets_at:
            out["5h_resets_at"] = format_iso(self.five_hour_resets_at)
        if self.seven_day_resets_at:
            out["7d_resets_at"] = format_iso(self.seven_day_resets_at)
        if self.event:
            out["event"] = self.event
        return out

    def to_row(self) -> list[Any]:
        """The stored form: `[at, 5h, 7d, 5h_resets_at, 7d_resets_at]` and the event if any. An array, not an
        object: 1,800 of them are in the file every status line decodes."""
        row = [format_iso(self.at), self.five_hour, self.seven_day,
               format_iso(self.five_hour_resets_at) if self.five_hour_resets_at else None,
               format_iso(self.seven_day_resets_at) if self.seven_day_resets_at else None]
        if self.event:
            row.append(self.event)
        return row

    @classmethod
    def from_row(cls, raw: list[Any], parse: Callable[[object], datetime | None] = parse_timestamp) -> Reading | None:
        """What `to_row` wrote (or None): a row too short or with an unreadable time is no reading."""
        if not 5 <= len(raw) <= 6:
            return None
        at = parse_timestamp(raw[0])
        if at is None:
            return None
        event = raw[5] if len(raw) == 6 else None
        return cls(at, finite_number(raw[1]), finite_number(raw[2]), parse(raw[3]), parse(raw[4]),
                   event if isinstance(event, str) else None)

    @classmethod
    def from_dict(cls, raw: object, parse: Callable[[object], datetime | None] = parse_timestamp) -> Reading | None:
        """`parse` reads the reset times (a history repeats a few of them: `state_from_cache` remembers them)."""
        if type(raw) is not dict and not isinstance(raw, Mapping):
            return None
        at = parse_timestamp(raw.get("at"))  # every reading's own
        if at is None:
            return None
        event = raw.get("event")
        return cls(  # at, 5h, 7d, their resets, event: positional, as a history holds 720 readings
            at,
            finite_number(raw.get("5h")),
            finite_number(raw.get("7d")),
            parse(raw.get("5h_resets_at")),
            parse(raw.get("7d_resets_at")),
            event if isinstance(event, str) else None,
        )


@record
class Via:
    """The machine whose snapshot gave the reading held (SPEC §10), and that reading's time as held: a writer that
    records a reading of its own without knowing of this leaves a `fetched_at` that no longer matches, so it reads
    as ours. Kept after that, so the same shared reading is never taken in twice."""

    host: str
    fetched_at: datetime
    stamped_at: datetime | None = None  # the snapshot's own time, when that machine's clock ran ahead of ours

    @property
    def reading_id(self) -> tuple[str, datetime]:
        return (self.host, self.stamped_at or self.fetched_at)

    def to_dict(self) -> dict[str, Any]:
        out = {"host": self.host, "fetched_at": format_iso(self.fetched_at)}
        if self.stamped_at is not None:
            out["stamped_at"] = format_iso(self.stamped_at)
        return out

    @classmethod
    def from_dict(cls, raw: object) -> Via | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("host"), str) or not raw.get("host"):
            return None
        at = parse_timestamp(raw.get("fetched_at"))
        stamped = parse_timestamp(raw.get("stamped_at"))
        return cls(host=raw["host"][:64], fetched_at=at, stamped_at=stamped) if at is not None else None


@record
class CachedState:
    """Everything the tray, `status` and the status line know, as read from the cache."""

    usage: Usage | None = None
    fetched_at: datetime | None = None
    source: str | None = None  # "api", "statusline", or "oh-my-claude" (only its `pro` block was there)
    plan: str | None = None  # subscriptionType, lower-cased
    last_error: LastError | None = None
    gate: GateState = field(default_factory=GateState)
    notified: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # "<window>@<resets_at>" -> thresholds
    history: tuple[Reading, ...] = ()
    paces: Paces | None = None  # as stored beside the history by its writer (tray.model.pace); never written back
    # `tray.settings` as stored: text values of the keys a user changed (read as values by tray.store.settings).
    # None: the cache holds none (never set, or a foreign rewrite dropped our section; the tray puts them back).
    settings: Mapping[str, str] | None = None
    via: Via | None = None  # the last reading taken from another machine's snapshot (tray.share)

    @property
    def has_data(self) -> bool:
        return self.usage is not None

    @property
    def via_host(self) -> str | None:
        """The machine whose snapshot gave the reading held, or None when it is this machine's own."""
        via = self.via
        return via.host if via is not None and via.fetched_at == self.fetched_at else None


def state_from_cache(
    raw: Mapping[str, Any], *, history: bool = True, known: dict[tuple[Any, ...], Reading] | None = None
) -> CachedState:
    """Read a whole decoded cache file. Never raises; unknown shapes read as absent.

    `history=False` leaves the history out (empty): a status line printing two figures has no use for 720
    readings, and `status` projects from the stored `paces` when they are there. `known`: readings parsed
    before, by their stored form; reused, then made this history's (a changed file differs by a reading at the
    end, so the tray's reader parses one, not all: tray.store.reader).
    """
    section = raw.get("tray") if isinstance(raw, Mapping) else None
    if not isinstance(section, Mapping):
        section = {}
    usage = Usage.from_dict(section.get("usage"))
    fetched_at = parse_timestamp(section.get("fetched_at"))
    source = section.get("source") if isinstance(section.get("source"), str) else None
    updated_at = parse_timestamp(raw.get("updated_at")) if isinstance(raw, Mapping) else None
    pro_usage = usage_from_pro(raw.get("pro")) if isinstance(raw, Mapping) else None
    # oh-my-claude rewrites the file whole: when its `pro` is newer than our reading (or ours is gone),
    # its figures are the freshest truth on the machine.
    if pro_usage is not None and (usage is None or (updated_at and fetched_at and updated_at > fetched_at)):
        if usage is not None and _same_main_figures(usage, pro_usage):
            fetched_at = updated_at  # the same figures, confirmed later: only the age changes
        else:
            usage, fetched_at, source = _merge_pro(usage, pro_usage), updated_at, "oh-my-claude"
    notified_raw = section.get("notified")
    notified: dict[str, tuple[int, ...]] = {}
    if isinstance(notified_raw, Mapping):
        for key, value in notified_raw.items():
            if isinstance(key, str) and isinstance(value, list):
                notified[key] = tuple(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    history_raw = section.get("history") if history else None
    parse = _remembering_parse()
    readings = _readings(history_raw if isinstance(history_raw, list) else [], parse, known)
    plan = section.get("plan")
    return CachedState(
        usage=usage,
        fetched_at=fetched_at,
        source=source,
        plan=plan.lower() if isinstance(plan, str) and plan else None,
        last_error=LastError.from_dict(section.get("last_error")),
        gate=GateState.from_dict(section.get("gate")),
        notified=notified,
        history=readings[-HISTORY_MAX:],
        paces=Paces.from_section(section),
        settings=_settings(section.get("settings")),
        via=Via.from_dict(section.get("via")),
    )


def state_to_show(raw: Mapping[str, Any], now: datetime, *, projections: bool = True) -> CachedState:
    """The cache as `status` and the status line show it: without its history when no projection is wanted
    or the paces stored beside it answer for `now` (most runs), else whole."""
    state = state_from_cache(raw, history=False)
    if projections and (state.paces is None or now < state.paces.through):
        return state_from_cache(raw)
    return state


def _readings(
    entries: list[Any], parse: Callable[[object], datetime | None], known: dict[tuple[Any, ...], Reading] | None
) -> tuple[Reading, ...]:
    if known is None:  # parsed once (a command): nothing to remember
        return tuple(r for r in (Reading.from_row(e, parse) if type(e) is list else Reading.from_dict(e, parse)
                                 for e in entries) if r is not None)
    kept: dict[tuple[Any, ...], Reading] = {}
    out: list[Reading] = []
    for entry in entries:
        key = reading = None
        row = type(entry) is list  # as written now (Reading.to_row); an object per reading before
        if row or type(entry) is dict:
            if row:
                key = (None, *entry)
            else:
                get = entry.get
                key = (get("at"), get("5h"), get("7d"), get("5h_resets_at"), get("7d_resets_at"), get("event"),
                       len(entry))
            if bool in tuple(map(type, key)):
                key = None  # True == 1 as a key, but not as a percentage or a moment
            else:
                try:
                    reading = known.get(key)
                except TypeError:  # a list or an object where a figure should be: parsed, never remembered
                    key = None
        if reading is None:
            reading = Reading.from_row(entry, parse) if row else Reading.from_dict(entry, parse)
        if reading is not None:
            out.append(reading)
            if key is not None:
                kept[key] = reading
    known.clear()
    known.update(kept)
    return tuple(out)


def _remembering_parse() -> Callable[[object], datetime | None]:
    """parse_timestamp for one history: its readings repeat the same few reset times (720 readings, ~3 distinct
    resets), and parsing 2,000 timestamps was most of a tray's start-up read of the cache."""
    seen: dict[str, datetime | None] = {}

    def parse(value: object) -> datetime | None:
        if not isinstance(value, str):
            return parse_timestamp(value)
        if value not in seen:
            seen[value] = parse_timestamp(value)
        return seen[value]

    return parse


def state_to_section(state: CachedState) -> dict[str, Any]:
    """The `tray` key as written to the cache. The paces go with it only when they are the paces of this very
    history (the writer, `tray.store.cache.update_state`, works them out; tray.model.pace)."""
    history = state.history[-HISTORY_MAX:]
    paces = state.paces
    if paces is not None and (not history or history[-1].at != paces.through):  # another history's: not ours
        paces = None
    return {
        "version": 1,
        "usage": state.usage.to_dict() if state.usage else None,
        "fetched_at": format_iso(state.fetched_at) if state.fetched_at else None,
        "source": state.source,
        "plan": state.plan,
        "last_error": state.last_error.to_dict() if state.last_error else None,
        "gate": state.gate.to_dict(),
        "notified": {k: list(v) for k, v in state.notified.items()},
        "history": [r.to_row() for r in history],
        "pace": paces.to_dict() if paces is not None else None,
        **({"settings": dict(state.settings)} if state.settings is not None else {}),
        **({"via": state.via.to_dict()} if state.via is not None else {}),  # kept when superseded: see Via
    }


def pro_block(usage: Usage | None) -> dict[str, Any] | None:
    """oh-my-claude's `pro` object: integer percentages truncated (not rounded), ISO reset times."""
    if usage is None or usage.five_hour is None or usage.seven_day is None:
        return None
    return {
        "five_hour_pct": whole_percent(usage.five_hour.utilization),
        "five_hour_resets_at": format_iso(usage.five_hour.resets_at) if usage.five_hour.resets_at else "",
        "seven_day_pct": whole_percent(usage.seven_day.utilization),
        "seven_day_resets_at": format_iso(usage.seven_day.resets_at) if usage.seven_day.resets_at else "",
    }


def shared_keys(state: CachedState, now: datetime) -> dict[str, Any]:
    """The keys a writer of ours sets: `pro` and `updated_at` only when there is a reading, and `tray`."""
    out: dict[str, Any] = {"tray": state_to_section(state)}
    if state.usage is not None and state.fetched_at is not None:
        out["pro"] = pro_block(state.usage)
        out["updated_at"] = format_utc(state.fetched_at)
    return out


def usage_from_pro(raw: object) -> Usage | None:
    if not isinstance(raw, Mapping):
        return None
    five, seven = finite_number(raw.get("five_hour_pct")), finite_number(raw.get("seven_day_pct"))
    if five is None or seven is None:
        return None
    return Usage(
        five_hour=UsageWindow("five_hour", "5-hour", five, parse_timestamp(raw.get("five_hour_resets_at")), FIVE_HOURS),
        seven_day=UsageWindow("seven_day", "7-day", seven, parse_timestamp(raw.get("seven_day_resets_at")), SEVEN_DAYS),
    )


def _merge_pro(ours: Usage | None, pro: Usage) -> Usage:
    if ours is None:
        return pro
    return replace(ours, five_hour=pro.five_hour, seven_day=pro.seven_day)


def _same_main_figures(a: Usage, b: Usage) -> bool:
    def figures(u: Usage) -> tuple[int | None, int | None]:
        return (
            int(u.five_hour.utilization) if u.five_hour else None,
            int(u.seven_day.utilization) if u.seven_day else None,
        )

    return figures(a) == figures(b)


def _settings(raw: object) -> dict[str, str] | None:
    """`tray.settings`: text keys and values only (what they mean is tray.store.settings' business), so a key a
    newer version added is carried through an older writer's write."""
    if not isinstance(raw, Mapping):
        return None
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str) and len(v) <= 4096}


def _small_int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1000:
        return value
    return 0


def _seconds(value: object) -> float:
    number = finite_number(value)
    return number if number is not None and 0 <= number <= 86400 else 0.0
