"""Foresight: at this pace, when does a window hit 100 %? Pure functions of (history, now); stdlib only.

The history (SPEC §3) holds the 5-hour and 7-day figures of every reading. For each window:

- Only the current period counts: a drop in usage, a moved `resets_at` or a recorded reset event starts a
  new one, so a projection restarts after every reset, on schedule or not.
- Readings from the future (the clock jumped back) and readings out of order are ignored.
- No projection ("no confidence") with fewer than MIN_READINGS readings, a span shorter than
  `min_span(period)`, a last reading older than `fresh_within`, no known reset, or usage already at 100 %.
- The rate is the average over the period's readings (the usage curve between readings is taken as a
  straight line, so a sleeping laptop's gap spreads what was used meanwhile over the gap instead of
  inventing a burst). Its interval is the lowest and highest rate over equal time slices of the span,
  and the window's average since it began when our readings start later: bursty use gives a wide interval
  and "low" confidence, and so does a forecast reaching more than HORIZON_FACTOR times the span ahead.
- Never past the reset: when the limit would come after `resets_at`, the answer is "lasts until reset".

Reset events (Reading.event) are classified in `tray.forecast.resets` when a reading is appended; a recorded event
starts a new period here.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from operator import attrgetter

from tray.base.timefmt import format_clock, format_countdown, format_weekday_clock, nearest_minute, to_local
from tray.base.values import record
from tray.model.pace import Pace, Paces
from tray.model.state import HISTORY_LIMIT, Reading
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS

PERIODS = {"five_hour": FIVE_HOURS, "seven_day": SEVEN_DAYS}
LABELS = {"five_hour": "5-hour", "seven_day": "7-day"}
MIN_READINGS = 3
DROP_TOLERANCE = 2.0  # points: the status line sends whole percents, the API fractions; less is no reset
RESET_SLACK = timedelta(minutes=2)  # resets arrive as 16:59:59.6 from one source and 17:00:00 from another
FRESH_WITHIN = timedelta(minutes=10)  # the tray's own "stale" age: older readings project nothing
SLICES = 4
HORIZON_FACTOR = 4  # a forecast further ahead than 4× the span it is based on is "low" confidence
_HOUR = timedelta(hours=1)
_STILL = 0.01  # %/h: slower than this is no burn at all
RESET_KINDS = ("early_reset", "late_reset", "surprise_reset")


class Point(namedtuple("Point", ("at", "percent", "resets_at", "event"), defaults=(None,))):
    """One reading of one window: `at` (datetime), `percent`, `resets_at` (datetime or None), `event` (this
    window's reset kind, if the reading recorded one).

    A named tuple, not a record: every projection makes one per reading and window (1,440 on each
    `claude-tray status`), and a tuple is made in a third of the time.
    """

    __slots__ = ()


@record
class Projection:
    """When one window would hit 100 % at the pace of its current period."""

    window: str  # "five_hour" or "seven_day"
    percent: float  # the latest reading
    rate: float  # percent per hour, averaged over the period's readings
    rate_low: float  # the slowest and fastest slice of the period: the honest spread
    rate_high: float
    limit_at: datetime | None  # None: lasts until reset at this pace
    earliest: datetime | None  # at rate_high; None: lasts until reset even then
    latest: datetime | None  # at rate_low; None: lasts until reset at that rate
    resets_at: datetime
    since: datetime  # the first reading used
    readings: int
    confidence: str  # "high" (steady) or "low" (bursty, or few readings)

    @property
    def lasts_until_reset(self) -> bool:
        return self.limit_at is None


def min_span(period: timedelta) -> timedelta:
    """10 minutes for the 5-hour window, an hour for the weekly one."""
    return max(timedelta(minutes=10), period / 168)


def window_points(history: Iterable[Reading], window: str, now: datetime) -> list[Point]:
    """One window's readings in time order; from the future or out of order (a jumped clock): dropped."""
    figures = WINDOW_FIGURES.get(window)
    if figures is None:
        return []
    points: list[Point] = []
    last_at = None
    for reading in history:  # 720 readings for each window on every `claude-tray status`: kept lean
        percent, resets_at = figures(reading)
        at = reading.at
        if percent is None or at > now or (last_at is not None and at <= last_at):
            continue
        points.append(Point(at, percent, resets_at, window_event(reading.event, window) if reading.event else None))
        last_at = at
    return points


def starts_period(previous: Point, current: Point) -> bool:
    """True when `current` is the first reading of a new period of the window."""
    if current.event:
        return True
    if current.percent < previous.percent - DROP_TOLERANCE:
        return True
    before, after = previous.resets_at, current.resets_at
    if (before is None) != (after is None):
        return True  # a window that started, or one that ended and awaits the next message
    return before is not None and after is not None and abs(after - before) > RESET_SLACK


def current_period(points: Sequence[Point]) -> list[Point]:
    start = 0
    for i in range(1, len(points)):
        if starts_period(points[i - 1], points[i]):
            start = i
    return list(points[start:])


def project(
    history: Iterable[Reading],
    window: str,
    now: datetime,
    *,
    fresh_within: timedelta = FRESH_WITHIN,
) -> Projection | None:
    """The projection for `window` ("five_hour" or "seven_day"), or None when there is no confidence."""
    found = pace(history, window, now)
    return finish(found, now, fresh_within=fresh_within) if found is not None else None


def pace(history: Iterable[Reading], window: str, now: datetime) -> Pace | None:
    """What `project` works out from the history alone: the same for every `now` past its newest reading."""
    period = PERIODS.get(window)
    if period is None:
        return None
    points, restarted = _period(history, window, now)
    if len(points) < MIN_READINGS:
        return None
    first, last = points[0], points[-1]
    span = last.at - first.at
    resets_at = last.resets_at
    if span < min_span(period) or resets_at is None or last.percent >= 100:
        return None
    rate = max(0.0, (last.percent - first.percent) / (span / _HOUR))
    slices = _slice_rates(points, SLICES)
    low, high = min(min(slices), rate), max(max(slices), rate)
    started = resets_at - period
    if started < first.at and not restarted:
        # Before our first reading the window was already running: its average since it began (nights and
        # lunch breaks included) is evidence too, and keeps one busy hour from speaking for a whole week.
        since_start = max(0.0, last.percent / ((last.at - started) / _HOUR))
        low, high = min(low, since_start), max(high, since_start)
    return Pace(window, first.at, last.at, last.percent, resets_at, rate, low, high, len(points))


def finish(p: Pace, now: datetime, *, fresh_within: timedelta = FRESH_WITHIN) -> Projection | None:
    """The projection at `now` from a window's pace, or None when its last reading is stale or it has reset."""
    if now - p.at > fresh_within or p.resets_at <= now:
        return None
    last = Point(p.at, p.percent, p.resets_at)
    limit_at = _hits(last, p.rate, p.resets_at, now)
    horizon = (limit_at or p.resets_at) - p.at
    steady = p.readings >= 5 and p.rate_high - p.rate_low <= p.rate and horizon <= HORIZON_FACTOR * (p.at - p.since)
    return Projection(
        window=p.window,
        percent=p.percent,
        rate=p.rate,
        rate_low=p.rate_low,
        rate_high=p.rate_high,
        limit_at=limit_at,
        earliest=_hits(last, p.rate_high, p.resets_at, now),
        latest=_hits(last, p.rate_low, p.resets_at, now),
        resets_at=p.resets_at,
        since=p.since,
        readings=p.readings,
        confidence="high" if steady else "low",
    )


def paces_of(history: Sequence[Reading]) -> Paces | None:
    """Every window's pace, as every writer stores them beside the history (None for an empty history)."""
    if not history:
        return None
    through = max(reading.at for reading in history)
    found = (pace(history, window, through) for window in PERIODS)
    return Paces(through, tuple(p for p in found if p is not None))


def _period(history: Iterable[Reading], window: str, now: datetime) -> tuple[list[Point], bool]:
    """The window's current period, and whether we saw it begin (nothing of it came before)."""
    # The pace is the recent minute readings' (the last HISTORY_LIMIT); the history keeps days more for the chart.
    recent = history[-HISTORY_LIMIT:] if isinstance(history, (tuple, list)) else history
    everything = window_points(recent, window, now)
    points = current_period(everything)
    return points, len(points) < len(everything)


def is_about(found: Projection, utilization: float) -> bool:
    """Whether the history's projection is about the figure shown: its last reading is that figure (within the
    whole percent the status line rounds to); oh-my-claude may have written a newer one since."""
    return abs(found.percent - utilization) < DROP_TOLERANCE


def projections(history: Sequence[Reading], now: datetime, *, paces: Paces | None = None,
                fresh_within: timedelta = FRESH_WITHIN) -> dict[str, Projection]:
    """Every window that has a projection, by key: from the paces stored beside the history when they are
    that history's (`through` its newest reading; the same answer without the walk, tests/test_pace.py) and
    `now` is not before them; else from the history (none without one)."""
    if paces is not None and now >= paces.through and (not history or history[-1].at == paces.through):
        found = {p.window: finish(p, now, fresh_within=fresh_within) for p in paces.windows}
    else:
        found = {key: project(history, key, now, fresh_within=fresh_within) for key in PERIODS}
    return {key: value for key, value in found.items() if value is not None}


def _hits(last: Point, rate: float, resets_at: datetime, now: datetime) -> datetime | None:
    if rate < _STILL:
        return None
    moment = last.at + _HOUR * ((100 - last.percent) / rate)
    if moment >= resets_at:
        return None
    return max(moment, now)  # an extrapolation already behind us means: about now


def _slice_rates(points: Sequence[Point], count: int) -> list[float]:
    """Rates (%/h) over `count` equal time slices of the span, on the straight-line usage curve."""
    start, end = points[0].at, points[-1].at
    step = (end - start) / count
    edges = [start + step * i for i in range(count)] + [end]
    values = _usage_at_each(points, edges)
    hours = step / _HOUR
    return [max(0.0, (b - a) / hours) for a, b in zip(values, values[1:])]


def _usage_at_each(points: Sequence[Point], moments: Sequence[datetime]) -> list[float]:
    """The straight-line usage at each of the ascending `moments`, in one walk over the points."""
    values: list[float] = []
    i, last = 0, len(points) - 1
    for moment in moments:
        while i < last and points[i + 1].at < moment:
            i += 1
        if i < last and points[i].at <= moment:
            a, b = points[i], points[i + 1]
            values.append(a.percent + (b.percent - a.percent) * ((moment - a.at) / (b.at - a.at)))
        else:  # past the last reading (or before the first): the last figure
            values.append(points[-1].percent)
    return values


WINDOW_FIGURES = {  # a reading's figure and reset time, per window
    "five_hour": attrgetter("five_hour", "five_hour_resets_at"),
    "seven_day": attrgetter("seven_day", "seven_day_resets_at"),
}


def window_figures(reading: Reading | None, window: str) -> tuple[float | None, datetime | None]:
    figures = WINDOW_FIGURES.get(window)
    return figures(reading) if reading is not None and figures is not None else (None, None)


def window_event(event: str | None, window: str) -> str | None:
    for part in (event or "").split():
        name, _, kind = part.partition(":")
        if name == window and kind in RESET_KINDS:
            return kind
    return None


def pace_phrase(p: Projection, now: datetime, *, tz: tzinfo | None, clock_24h: bool) -> str:
    """The menu line under a window: `at this pace: limit at 15:40 (in 1 h 10 m)` or `… lasts until reset`.

    Bursty use (low confidence) says `around` and `~`: the time is the middle of a wide interval.
    """
    if p.limit_at is None:
        return "at this pace: lasts until reset"
    local = to_local(nearest_minute(p.limit_at), tz)
    within_a_day = p.limit_at - now < timedelta(hours=20)  # the countdown tells today from tomorrow
    clock = format_clock(local, clock_24h) if within_a_day else format_weekday_clock(local, clock_24h)
    countdown = format_countdown(p.limit_at, now)
    if p.confidence == "high":
        return f"at this pace: limit at {clock} ({countdown})"
    return f"at this pace: limit around {clock} ({countdown.replace('in ', 'in ~', 1)})"


def short_clock(p: Projection, now: datetime, *, tz: tzinfo | None = None) -> str:
    """`15:40`, or `Thu15:40` beyond today, for the status line's `5h:47%→15:40`; "" when it lasts."""
    if p.limit_at is None:
        return ""
    local = to_local(nearest_minute(p.limit_at), tz)
    clock = format_clock(local, True)
    return clock if p.limit_at - now < timedelta(hours=20) else format_weekday_clock(local, True).replace(" ", "")
