"""`claude-tray statusline`: Claude Code's `statusLine` command (SPEC §2, §6).

Claude Code (≥ 2.1.80) pipes a JSON object to this command on every prompt; its `rate_limits` are the
same figures the usage endpoint gives, so we record them in the shared cache and the tray needs no
request of its own. This path runs very often: standard library only (a test proves it), no network,
and it never fails loudly — a status line that prints a traceback breaks the user's prompt.

Speed: without figures on stdin (Claude Code before 2.1.80, or a prompt without them) the line comes
straight from the cache's JSON (`line_from_cache`), with no value model, dataclasses or pathlib loaded, so
it costs about what the simplest Python script reading two JSON documents costs. Recording figures needs
the model and the locked write, and loads them then.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping  # already loaded with json (re -> functools -> collections)

from tray.base.numbers import finite_number
from tray.base.utctext import utc_micros, utc_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from typing import IO

    from tray.model.state import CachedState
    from tray.model.usage import Usage, UsageWindow

MAX_STDIN = 1 << 20
RECORD_EVERY_S = 60  # unchanged figures are written again (as a fresh confirmation) at most this often
# The prompt waits for this line: a cache lock held by someone else costs it at most this, then the figures from
# stdin are printed unrecorded (SPEC §8). Our own writers hold the lock for milliseconds.
LOCK_BUDGET_S = 0.25
MAX_PERCENT = 1000.0  # above this a figure is no percentage (after /clear Claude Code sent resets_at as one)
SNAP = 1e-6  # `used_percentage` is `utilization * 100` in floating point: 29 % arrives as 28.999999999999996
SAME_PERIOD_S = 120  # two resets this close are one window period (the endpoint's carry a fraction of a second)
_FIRST_RESET_S = 946_684_800  # 2000-01-01: an earlier reset (0, 1970) is a placeholder, "reset unknown"


def usage_from_stdin(payload: object, now: datetime | None = None) -> Usage | None:
    """The `rate_limits` object as a partial Usage (5-hour and 7-day only), or None if absent.

    Only true figures (SPEC §2): float noise snapped, non-finite values and values outside 0–1000 refused,
    `resets_at` 0 or absent read as "reset unknown", and (given `now`) a window whose reset has passed left
    out: it is over, and its figure is not the current one.
    """
    from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage

    if not isinstance(payload, Mapping):
        return None
    limits = payload.get("rate_limits")
    if not isinstance(limits, Mapping):
        return None
    five = _window(limits.get("five_hour"), "five_hour", "5-hour", FIVE_HOURS, now)
    seven = _window(limits.get("seven_day"), "seven_day", "7-day", SEVEN_DAYS, now)
    if five is None and seven is None:
        return None
    return Usage(five_hour=five, seven_day=seven)


def newer_than_recorded(usage: Usage | None, recorded: Usage | None) -> Usage | None:
    """`usage` without the figures of a stale session: several Claude Code sessions run at once, and an idle
    one keeps sending its old figure. Within one window period (the same reset) usage only grows, so a
    status-line figure lower than the recorded one is stale. None when nothing is left to record."""
    if usage is None:
        return None
    from tray.base.values import replace

    kept = {}
    for name in ("five_hour", "seven_day"):
        new, old = getattr(usage, name), getattr(recorded, name) if recorded is not None else None
        if new is not None and old is not None and new.resets_at is not None and old.resets_at is not None and (
                abs((new.resets_at - old.resets_at).total_seconds()) <= SAME_PERIOD_S
                and new.utilization < old.utilization):
            new = None
        kept[name] = new
    if kept["five_hour"] is None and kept["seven_day"] is None:
        return None
    return replace(usage, **kept)


def record(cache_file, usage: Usage, now: datetime) -> CachedState:
    """Merge the status line's windows into the cache; per-model windows and extra usage are kept."""
    from tray.base.values import replace
    from tray.model.usage import Usage
    from tray.store import cache
    from tray.store.history import append_reading

    def change(current: CachedState) -> CachedState:
        fresh = newer_than_recorded(usage, current.usage)  # again under the lock: another session may have written
        if fresh is None:
            return current
        base = current.usage or Usage()
        merged = replace(
            base,
            five_hour=fresh.five_hour or base.five_hour,
            seven_day=fresh.seven_day or base.seven_day,
        )
        return replace(
            current,
            usage=merged,
            fetched_at=now,
            source="statusline",
            history=append_reading(current.history, merged, now),
        )

    return cache.update_state(cache_file, change, now=now, lock_timeout=LOCK_BUDGET_S)


def format_line(state: CachedState, now: datetime | None = None, *, projection: bool = False) -> str:
    """`5h:47% 7d:21%`; with `projection` (and `now`), `5h:47%→15:40` where a window's limit comes before
    its reset at this pace (tray.forecast.projection; nothing added when it lasts or there is no confidence)."""
    usage = state.usage
    five = usage.five_hour if usage else None
    seven = usage.seven_day if usage else None
    if now is not None:  # a window whose reset has passed is shown as reset until a new reading (SPEC §4)
        five, seven = _as_of(five, now, state.fetched_at), _as_of(seven, now, state.fetched_at)
    tails = ["", ""]
    if projection and now is not None:
        from tray.forecast.projection import is_about, projections, short_clock

        ahead = projections(state.history, now, paces=state.paces)
        for i, window in enumerate((five, seven)):
            found = ahead.get(window.key) if window is not None else None
            if window is not None and found is not None and is_about(found, window.utilization):
                tails[i] = "→" + short_clock(found, now) if found.limit_at is not None else ""
    return _line(five.utilization if five else None, seven.utilization if seven else None, *tails)


def line_from_cache(raw: object, now_us: int | None = None) -> str:
    """`format_line(state_from_cache(raw), now)`, read from the decoded file without building the state.

    The same rule as `tray.model.state.state_from_cache` for the two figures shown: ours, unless oh-my-claude's
    `pro` block is valid and newer than our reading (or ours is absent); when `pro` wins with the same
    whole percentages, the printed line is the same either way. Given `now_us` (microseconds since the epoch),
    a window whose reset has passed prints 0 %.
    """
    if not isinstance(raw, Mapping):
        return _line(None, None)
    section = raw.get("tray")
    if not isinstance(section, Mapping):
        section = {}
    ours = section.get("usage")
    five = seven = None
    resets: tuple[object, object] = (None, None)
    read_at = section.get("fetched_at")
    if isinstance(ours, Mapping):
        five, seven = _stored_percent(ours.get("five_hour")), _stored_percent(ours.get("seven_day"))
        resets = (_get(ours.get("five_hour"), "resets_at"), _get(ours.get("seven_day"), "resets_at"))
    pro = raw.get("pro")
    if isinstance(pro, Mapping):
        pro_five, pro_seven = finite_number(pro.get("five_hour_pct")), finite_number(pro.get("seven_day_pct"))
        if pro_five is not None and pro_seven is not None and (
            not isinstance(ours, Mapping) or _later(raw.get("updated_at"), section.get("fetched_at"))
        ):
            five, seven = pro_five, pro_seven
            resets = (pro.get("five_hour_resets_at"), pro.get("seven_day_resets_at"))
            read_at = raw.get("updated_at")
    if now_us is not None:
        five = 0.0 if five is not None and _passed(resets[0], read_at, now_us) else five
        seven = 0.0 if seven is not None and _passed(resets[1], read_at, now_us) else seven
    return _line(five, seven)


def main(
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    projection: bool = False,
) -> int:
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    payload: object = None
    try:
        if stdin is not None and not stdin.isatty():
            payload = json.loads(stdin.read(MAX_STDIN) or "null")
    except (ValueError, RecursionError, OSError, UnicodeDecodeError):  # json raises RecursionError on deep nesting
        payload = None
    holds_figures = _may_hold_figures(payload)
    if not projection:
        from tray.store.cache import read_cache
        from tray.store.paths import cache_path_str

        raw = read_cache(cache_path_str(env))
        now_us = round((now.timestamp() if now is not None else time.time()) * 1_000_000)
        # Without figures, or with the very figures already recorded (most runs while a reply streams): the line
        # comes from the file's JSON as it is, with no value model or datetime loaded.
        if not holds_figures or _recorded_as_is(raw, payload, now_us):
            stdout.write(line_from_cache(raw, now_us) + "\n")
            return 0
    from datetime import datetime, timezone

    from tray.errors import TrayError
    from tray.store.cache import read_cache
    from tray.store.paths import cache_path, cache_path_str

    now = now or datetime.now(timezone.utc)
    usage = usage_from_stdin(payload, now) if holds_figures else None
    raw = read_cache(cache_path_str(env))
    if usage is not None:
        from tray.model.state import state_from_cache

        usage = newer_than_recorded(usage, state_from_cache(raw, history=False).usage)
    if usage is None or _already_recorded(raw, usage, now):  # nothing new to record: the line from the file
        from tray.model.state import state_to_show

        stdout.write(format_line(state_to_show(raw, now, projections=projection), now, projection=projection) + "\n")
        return 0
    try:
        state = record(cache_path(env), usage, now)
    except TrayError:
        from tray.model.state import CachedState

        state = CachedState(usage=usage, fetched_at=now, source="statusline")  # read-only disk: still show it
    else:
        _publish(env, state, now)
    stdout.write(format_line(state, now, projection=projection) + "\n")
    return 0


def _publish(env: Mapping[str, str] | None, state: CachedState, now: datetime) -> None:
    """With a share folder set (SPEC §10), the figures just recorded go to every machine of the account: a remote
    box where only Claude Code runs feeds the trays elsewhere. Only on this path, which records (new figures, or
    the same ones again after a minute); the status line never fails for a share it cannot write."""
    import os

    from tray.share.setting import share_dir_of

    env = os.environ if env is None else env
    if share_dir_of(env, state) is not None:
        from tray.share.link import publish

        try:
            publish(env, state, now)
        except Exception:  # a bug in sharing must not break the user's prompt
            pass


def _recorded_as_is(raw: object, payload: object, now_us: int) -> bool:
    """`_already_recorded`, proven from the decoded JSON alone (no datetime, no value model): True only when
    it would be True; False when this cheap proof cannot tell (the full check then decides).

    Our writers write UTC as `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` (`updated_at` as `…SSZ`), and Claude Code's
    `resets_at` is whole epoch seconds: both are read here to the second, on the safe side of it.
    """
    if not isinstance(raw, Mapping) or not isinstance(payload, Mapping):
        return False
    section, limits = raw.get("tray"), payload.get("rate_limits")
    if not isinstance(section, Mapping) or not isinstance(limits, Mapping):
        return False
    fetched = utc_micros(section.get("fetched_at"))
    # now - RECORD_EVERY_S < fetched <= now, with a microsecond to spare for a clock read as a float
    if fetched is None or not now_us - RECORD_EVERY_S * 1_000_000 < fetched - 1 < fetched + 1 <= now_us:
        return False
    updated = raw.get("updated_at")
    if updated is not None:  # oh-my-claude may have written since: only an older (or our own) updated_at will do
        updated_us = utc_micros(updated)
        if updated_us is None or updated_us > fetched:
            return False
    stored = section.get("usage")
    if not isinstance(stored, Mapping):
        return False
    seen = False
    for key in ("five_hour", "seven_day"):
        sent = limits.get(key)
        if not isinstance(sent, Mapping):
            continue  # the full check reads no window from this either
        percent = _figure(sent.get("used_percentage"))
        if percent is None:
            continue  # the full check reads no window from this either
        have = stored.get(key)
        if not (isinstance(have, Mapping) and isinstance(have.get("key"), str) and isinstance(have.get("label"), str)):
            return False
        if finite_number(have.get("utilization")) is None or have.get("utilization") != percent:
            return False
        reset, stored_reset = sent.get("resets_at"), have.get("resets_at")
        if type(reset) is int and reset * 1_000_000 <= now_us:
            return False  # "reset unknown" or a window that is over: the full check decides
        if reset is None:
            if stored_reset is not None:
                return False
        elif not (type(reset) is int and 0 <= reset < 10**11 and stored_reset == utc_text(reset) + "+00:00"):
            return False
        seen = True
    return seen


def _already_recorded(raw: object, usage: Usage, now: datetime) -> bool:
    """True when the cache holds these very figures, recorded by one of ours less than RECORD_EVERY ago and
    not overtaken by oh-my-claude: then the run writes nothing. Claude Code runs its status line up to every
    300 ms while a reply streams; each write takes the lock and rewrites the whole file."""
    from datetime import timedelta

    from tray.base.timeparse import parse_timestamp
    from tray.model.usage import Usage

    section = raw.get("tray") if isinstance(raw, Mapping) else None
    if not isinstance(raw, Mapping) or not isinstance(section, Mapping):
        return False
    fetched = parse_timestamp(section.get("fetched_at"))
    if fetched is None or not now - timedelta(seconds=RECORD_EVERY_S) < fetched <= now:
        return False
    updated = parse_timestamp(raw.get("updated_at"))
    if updated is not None and updated > fetched:
        return False  # oh-my-claude wrote since: our figures must win back the file
    stored = Usage.from_dict(section.get("usage"))
    if stored is None:
        return False
    for new, old in ((usage.five_hour, stored.five_hour), (usage.seven_day, stored.seven_day)):
        if new is not None and (old is None or (new.utilization, new.resets_at) != (old.utilization, old.resets_at)):
            return False
    return True


def _may_hold_figures(payload: object) -> bool:
    """False when `usage_from_stdin` would surely find nothing: then the model need not be loaded."""
    if not isinstance(payload, Mapping):
        return False
    limits = payload.get("rate_limits")
    if not isinstance(limits, Mapping):
        return False
    for key in ("five_hour", "seven_day"):
        window = limits.get(key)
        if isinstance(window, Mapping):
            value = window.get("used_percentage")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return True
    return False


def _window(raw: object, key: str, label: str, period, now: datetime | None = None) -> UsageWindow | None:
    from tray.base.timeparse import parse_timestamp
    from tray.model.usage import UsageWindow

    if not isinstance(raw, Mapping):
        return None
    percent = _figure(raw.get("used_percentage"))
    if percent is None:
        return None
    sent = raw.get("resets_at")
    resets_at = None
    if not (isinstance(sent, (int, float)) and not isinstance(sent, bool) and sent <= 0):
        resets_at = parse_timestamp(sent)
    if resets_at is not None and resets_at.timestamp() < _FIRST_RESET_S:
        resets_at = None  # `resets_at: 0` (or 1970 in any spelling) means "unknown", never a 1970 reset
    if resets_at is not None and now is not None and resets_at <= now:
        return None  # the window is over: its figure is not the current one (the tray shows it as reset)
    return UsageWindow(key, label, percent, resets_at, period)


def _figure(value: object) -> float | None:
    """A status-line percentage as it is meant: finite, 0–1000, float noise snapped; None when it is none."""
    # Python's json reads `Infinity` and `NaN`: no percentage, and Infinity would crash the printed line.
    percent = finite_number(value)
    if percent is None or not 0.0 <= percent <= MAX_PERCENT:
        return None
    return snapped(percent)


def snapped(percent: float) -> float:
    """A value within 1e-6 of a whole number is that number (28.999999999999996 is 29, 25.9 stays 25.9)."""
    whole = round(percent)
    return float(whole) if abs(percent - whole) <= SNAP else percent


def _as_of(window: UsageWindow | None, now: datetime, read_at: datetime | None) -> UsageWindow | None:
    """As `tray.show.view.as_of`: reset since it was read, so over."""
    if window is None or window.resets_at is None or window.resets_at > now or (
            read_at is not None and window.resets_at <= read_at):
        return window
    from tray.base.values import replace

    return replace(window, utilization=0.0)


def _passed(resets_at: object, read_at: object, now_us: int) -> bool:
    """True when a window reset after it was read (`read_at`) and before now: it is over."""
    moment = _micros(resets_at)
    if moment is None or moment > now_us:
        return False
    read = _micros(read_at)
    return read is None or moment > read


def _micros(value: object) -> int | None:
    moment = utc_micros(value)
    if moment is None and isinstance(value, str) and value:
        from tray.base.timeparse import parse_timestamp

        parsed = parse_timestamp(value)
        moment = round(parsed.timestamp() * 1_000_000) if parsed is not None else None
    return moment


def _get(window: object, name: str) -> object:
    return window.get(name) if isinstance(window, Mapping) else None


def _line(five: float | None, seven: float | None, five_tail: str = "", seven_tail: str = "") -> str:
    return f"5h:{_pct(five)}{five_tail} 7d:{_pct(seven)}{seven_tail}"


def _pct(percent: float | None) -> str:
    return f"{int(snapped(percent))}%" if percent is not None else "--"


def _stored_percent(window: object) -> float | None:
    """A window as `UsageWindow.from_dict` reads it: only its utilization, None where it reads None."""
    if not isinstance(window, Mapping):
        return None
    if not isinstance(window.get("key"), str) or not isinstance(window.get("label"), str):
        return None
    return finite_number(window.get("utilization"))


def _later(updated_at: object, fetched_at: object) -> bool:
    updated_us, fetched_us = utc_micros(updated_at), utc_micros(fetched_at)
    if updated_us is not None and fetched_us is not None:  # as our writers and oh-my-claude write them
        return updated_us > fetched_us
    from tray.base.timeparse import parse_timestamp

    updated, fetched = parse_timestamp(updated_at), parse_timestamp(fetched_at)
    return updated is not None and fetched is not None and updated > fetched
