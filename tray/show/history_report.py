"""`claude-tray history`: the kept readings (SPEC §11) as a short table per day, or as CSV. Standard library only;
the chart is `tray.show.history_chart` (matplotlib, loaded only by the process that draws).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo

from tray.base.timeparse import format_iso, parse_timestamp
from tray.base.values import record
from tray.forecast.projection import LABELS, PERIODS, starts_period, window_points
from tray.model.state import Reading

ABOVE = 90.0  # the table's "time spent above 90 %"
MAX_GAP = timedelta(minutes=20)  # readings further apart: the laptop slept, nothing is known in between
CSV_COLUMNS = ("at", "five_hour", "seven_day", "five_hour_resets_at", "seven_day_resets_at", "event")
WINDOWS = tuple(PERIODS)  # "five_hour", "seven_day"
_FAR = datetime.max.replace(tzinfo=timezone.utc)


@record
class Reset:
    """A period of a window that ended: the moment it did (the announced one when it came on time)."""

    at: datetime
    window: str
    kind: str  # "reset" (on schedule), or the recorded event: "early_reset", "late_reset", "surprise_reset"


@record
class Day:
    day: date  # local
    peaks: dict[str, float | None]  # per window, the highest figure read that day
    resets: dict[str, tuple[str, ...]]  # per window, the kinds of the resets that day
    above: dict[str, timedelta]  # per window, the time read at or above ABOVE


def resets(history: Sequence[Reading], window: str) -> list[Reset]:
    """Each time a period of `window` ended: where the next reading starts a new period after a period that had
    an announced reset (a window that merely starts after lying idle is no reset), or records a reset event."""
    points = window_points(history, window, _FAR)
    out: list[Reset] = []
    for before, after in zip(points, points[1:]):
        if not starts_period(before, after) or (before.resets_at is None and not after.event):
            continue
        at = after.at
        if not after.event and before.resets_at is not None and before.at <= before.resets_at <= after.at:
            at = before.resets_at  # on time, while no reading was taken (asleep, or between two)
        out.append(Reset(at, window, after.event or "reset"))
    return out


def days(history: Sequence[Reading], tz: tzinfo | None = None) -> list[Day]:
    """One row per local day that has readings, oldest first."""
    rows: dict[date, Day] = {}

    def row(at: datetime) -> Day:
        day = at.astimezone(tz).date()
        if day not in rows:
            rows[day] = Day(day, dict.fromkeys(WINDOWS), {w: () for w in WINDOWS}, {w: timedelta(0) for w in WINDOWS})
        return rows[day]

    for window in WINDOWS:
        points = window_points(history, window, _FAR)
        for i, point in enumerate(points):
            found = row(point.at)
            peak = found.peaks[window]
            if peak is None or point.percent > peak:
                found.peaks[window] = point.percent
            if i + 1 < len(points):
                after = points[i + 1]
                if point.percent >= ABOVE and after.at - point.at <= MAX_GAP and not starts_period(point, after):
                    found.above[window] += after.at - point.at
        for reset in resets(history, window):
            found = row(reset.at)
            found.resets[window] = (*found.resets[window], reset.kind)
    return [rows[d] for d in sorted(rows)]


def table(history: Sequence[Reading], tz: tzinfo | None = None) -> str:
    """The short table: per day, each window's peak, its resets, and the time spent at or above 90 %."""
    rows = days(history, tz)
    if not rows:
        return "No readings kept yet: the tray, `claude-tray refresh` and the status line keep them."
    header = ("Day", "5-hour peak", "7-day peak", "Resets", "Above 90 %")
    lines = [header]
    for r in rows:
        lines.append((
            f"{r.day:%a} {r.day.day} {r.day:%b}",
            _pct(r.peaks["five_hour"]),
            _pct(r.peaks["seven_day"]),
            _resets_text(r.resets),
            _above_text(r.above),
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        cells = [line[0].ljust(widths[0]), line[1].rjust(widths[1]), line[2].rjust(widths[2]),
                 line[3].ljust(widths[3]), line[4]]
        out.append("  ".join(cells).rstrip())
    first, last = history[0].at.astimezone(tz), history[-1].at.astimezone(tz)
    hours = (last - first) / timedelta(hours=1)
    out.append(f"{len(history)} readings over {hours:.0f} h (local time); --csv prints them, --png OUT.png draws them.")
    return "\n".join(out)


def _pct(value: float | None) -> str:
    return f"{int(value)} %" if value is not None else "—"


def _resets_text(found: dict[str, tuple[str, ...]]) -> str:
    parts = []
    for window in WINDOWS:
        kinds = found[window]
        if not kinds:
            continue
        odd = [k.replace("_reset", "") for k in kinds if k != "reset"]
        parts.append(f"{LABELS[window]} ×{len(kinds)}" + (f" ({', '.join(odd)})" if odd else ""))
    return ", ".join(parts) or "—"


def _above_text(above: dict[str, timedelta]) -> str:
    parts = [f"{LABELS[w]} {_duration(above[w])}" for w in WINDOWS if above[w]]
    return ", ".join(parts) or "—"


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} m" if minutes >= 60 else f"{minutes} m"


def write_csv(history: Iterable[Reading], out) -> int:
    """Every reading, one row each (UTC times, figures exactly as kept, empty where absent); the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for r in history:
        writer.writerow((
            format_iso(r.at), _number(r.five_hour), _number(r.seven_day),
            format_iso(r.five_hour_resets_at) if r.five_hour_resets_at else "",
            format_iso(r.seven_day_resets_at) if r.seven_day_resets_at else "",
            r.event or "",
        ))
        count += 1
    return count


def read_csv(lines: Iterable[str]) -> tuple[Reading, ...]:
    """What `write_csv` wrote, as readings (rows that do not read are left out)."""
    out = []
    for row in csv.DictReader(lines):
        at = parse_timestamp(row.get("at"))
        if at is None:
            continue
        out.append(Reading(
            at, _float(row.get("five_hour")), _float(row.get("seven_day")),
            parse_timestamp(row.get("five_hour_resets_at") or None),
            parse_timestamp(row.get("seven_day_resets_at") or None),
            row.get("event") or None,
        ))
    return tuple(out)


def _number(value: float | None) -> str:
    return repr(value) if value is not None else ""


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None

