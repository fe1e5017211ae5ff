"""Which desktop notifications are due, and the memory of those sent (SPEC §5). Pure, standard library only.

Each window announces crossing 80, 90 and 100 % once per period, and "available again" once after a period
in which it hit 100 % has reset. What was sent lives in the cache (`CachedState.notified`, key -> thresholds),
so two trays and a restart do not repeat themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo

from tray.base.timefmt import format_clock, format_countdown, locale_uses_24h, nearest_minute, to_local
from tray.base.timeparse import format_iso, parse_timestamp
from tray.base.values import record
from tray.forecast.projection import WINDOW_FIGURES, is_about, projections
from tray.model.state import CachedState
from tray.model.usage import UsageWindow
from tray.show.look import Look
from tray.show.view import STALE_AFTER, assess, percent, reset_phrase
from tray.store.settings import Settings, settings_of

THRESHOLDS = (80, 90, 100)
AVAILABLE_AGAIN = 0  # recorded under the *previous* period's key, below every warning threshold
PACE_WARNING = 1  # "at this pace the limit is reached in ~30 min", recorded under the period's key
# How close a projected limit must be to be worth a pop-up: half an hour of a session, half a day of a week.
PACE_NOTICE = {"five_hour": timedelta(minutes=30), "seven_day": timedelta(hours=12)}
_LIMIT = THRESHOLDS[-1]
_AVAILABLE_LOOKBACK = timedelta(hours=12)  # news of a reset that happened longer ago is noise
_KEEP_AFTER_RESET = timedelta(days=1)  # a period's entry outlives its reset by the lookback, with room
_MAX_ENTRIES = 64


@record
class Notification:
    key: str  # "<window key>@<resets_at ISO, to the minute, or 'none'>": one period of one window
    threshold: int  # 80, 90, 100, or AVAILABLE_AGAIN
    title: str
    message: str


def period_key(window_key: str, resets_at: datetime | None) -> str:
    """Resets arrive as `16:59:59.600956` with a fraction that varies per response: the minute is the period."""
    return f"{window_key}@{format_iso(nearest_minute(resets_at)) if resets_at else 'none'}"


def due_notifications(
    state: CachedState,
    now: datetime,
    *,
    tz: tzinfo | None = None,
    clock_24h: bool | None = None,
    stale_after: timedelta = STALE_AFTER,
    settings: Settings | None = None,
) -> tuple[Notification, ...]:
    """The notifications to show now; pass what was shown to `mark_sent` and store the result. The thresholds
    and the way figures are counted are the settings' (SPEC §9; None: those stored in `state`)."""
    usage = state.usage
    settings = settings_of(state) if settings is None else settings
    thresholds = settings.notify
    if usage is None or not thresholds:  # `notify off`
        return ()
    clock = locale_uses_24h() if clock_24h is None else clock_24h
    # Old or failed readings could announce a limit that has since reset, or miss the reset itself.
    if assess(state, now, tz=tz, clock_24h=clock, stale_after=stale_after).look is not Look.OK:
        return ()
    due: list[Notification] = []
    for window in usage.windows():
        if window.resets_at is not None and window.resets_at <= now:
            continue  # read before its reset: the figure is about to drop
        key = period_key(window.key, window.resets_at)
        before = len(due)
        sent = max((t for t in state.notified.get(key, ()) if t > PACE_WARNING), default=AVAILABLE_AGAIN)
        crossed = [t for t in thresholds if window.utilization >= t]
        if crossed and crossed[-1] > sent:
            # Only the highest: a first reading at 95 % says "90 %", not 80 and 90 at once.
            due.append(_limit_note(window, key, crossed[-1], now, tz, clock, remaining=settings.remaining))
        elif window.utilization < thresholds[0]:
            previous = _previous_full_period(state, window, now)
            if previous is not None:
                due.append(_available_note(window, previous, now, tz, clock))
        # One pop-up per window at a time: some backends replace the previous one, so the pace warning
        # waits for the next tick when a threshold note is going out now.
        if len(due) == before and PACE_WARNING not in state.notified.get(key, ()):
            note = _pace_note(state, window, key, now, tz, clock)
            if note is not None:
                due.append(note)
    return tuple(due)


def mark_sent(
    notified: Mapping[str, tuple[int, ...]], sent: Iterable[Notification], now: datetime
) -> dict[str, tuple[int, ...]]:
    """`notified` with `sent` recorded; periods long over are pruned, so the cache stays small."""
    merged = {key: tuple(values) for key, values in notified.items()}
    for note in sent:
        merged[note.key] = tuple(sorted({*merged.get(note.key, ()), note.threshold}))
    kept = {
        key: values for key, values in merged.items()
        if (reset := _reset_of(key)) is None or reset >= now - _KEEP_AFTER_RESET
    }
    if len(kept) > _MAX_ENTRIES:
        # Periods without a reset time sort first, as the oldest: they are the least likely to matter again.
        newest = sorted(kept, key=lambda k: _reset_of(k) or datetime.min.replace(tzinfo=now.tzinfo))
        kept = {key: kept[key] for key in newest[-_MAX_ENTRIES:]}
    return kept


def _previous_full_period(state: CachedState, window: UsageWindow, now: datetime) -> str | None:
    """The key of a recent earlier period of `window` that hit 100 % and was not yet announced as over."""
    current = nearest_minute(window.resets_at) if window.resets_at else None
    candidates: dict[str, datetime] = {}
    for key, thresholds in state.notified.items():
        name, _, _ = key.rpartition("@")
        reset = _reset_of(key)
        if name == window.key and reset is not None and _LIMIT in thresholds:
            candidates[key] = reset
    # The history covers the hours before the tray started, or before this process sent anything.
    figures = WINDOW_FIGURES.get(window.key)
    if figures is not None:
        for reading in state.history:
            figure, reset = figures(reading)
            if figure is not None and figure >= _LIMIT and reset is not None:
                candidates[period_key(window.key, reset)] = nearest_minute(reset)
    earlier = [
        (reset, key) for key, reset in candidates.items()
        if (current is None or reset < current)
        and now - reset <= _AVAILABLE_LOOKBACK
        and AVAILABLE_AGAIN not in state.notified.get(key, ())
    ]
    return max(earlier)[1] if earlier else None


def _pace_note(
    state: CachedState, window: UsageWindow, key: str, now: datetime, tz: tzinfo | None, clock_24h: bool
) -> Notification | None:
    """"At this pace the 5-hour limit is reached in ~30 min": when a steady pace, or even the slowest
    stretch of a bursty one, reaches the limit within PACE_NOTICE and before the reset."""
    notice = PACE_NOTICE.get(window.key)
    found = projections(state.history, now, paces=state.paces).get(window.key) if notice is not None else None
    if notice is None or found is None or found.limit_at is None or window.utilization >= _LIMIT:
        return None
    if not is_about(found, window.utilization):
        return None
    sure = found.latest if found.confidence == "low" else found.limit_at
    if sure is None or sure - now > notice:
        return None
    local = to_local(nearest_minute(found.limit_at), tz)
    countdown = format_countdown(found.limit_at, now).replace("in ", "in ~", 1)
    when = reset_phrase(window, now, tz=tz, clock_24h=clock_24h)
    message = (f"At this pace the {window.label} limit is reached {countdown} ({format_clock(local, clock_24h)}). "
               f"{when[0].upper() + when[1:]}.")
    return Notification(key, PACE_WARNING, f"Claude {window.label} limit {countdown}", message)


def _limit_note(
    window: UsageWindow, key: str, threshold: int, now: datetime, tz: tzinfo | None, clock_24h: bool,
    remaining: bool = False,
) -> Notification:
    when = reset_phrase(window, now, tz=tz, clock_24h=clock_24h)
    message = when[0].upper() + when[1:] + "."
    if not remaining:
        return Notification(key, threshold, f"Claude {window.label} limit at {threshold}%", message)
    # Counted as the menu counts them (`show remaining`): "20 % left", and the limit itself is "reached".
    title = (f"Claude {window.label} limit reached" if threshold >= 100
             else f"Claude {window.label}: {100 - threshold} % left")
    return Notification(key, threshold, title, message)


def _available_note(
    window: UsageWindow, previous_key: str, now: datetime, tz: tzinfo | None, clock_24h: bool
) -> Notification:
    if window.resets_at is None:
        tail = "the window starts with your next message."
    else:
        tail = reset_phrase(window, now, tz=tz, clock_24h=clock_24h) + "."
    message = f"Now at {percent(window.utilization)}; {tail}"
    return Notification(previous_key, AVAILABLE_AGAIN, f"Claude {window.label} limit available again", message)


def _reset_of(key: str) -> datetime | None:
    return parse_timestamp(key.rpartition("@")[2])
