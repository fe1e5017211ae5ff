"""The history chart (SPEC §11): each window's utilization over time, resets marked, the notification thresholds
as lines, the current projection to the limit dashed, local time on the axis; light or dark, at any scale.

matplotlib (Agg, no pyplot, no GUI toolkit) is imported here only, and this module only by the process that draws
(`claude-tray history --png`, or the history window's own process): the running tray never loads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from tray.base.values import record
from tray.forecast.projection import LABELS, WINDOW_FIGURES, Projection, projections
from tray.model.state import Reading
from tray.show.history_report import MAX_GAP, WINDOWS, resets

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100  # 800 × 450 pixels at scale 1, 1600 × 900 at 2 (HiDPI)

# Line colours with at least 4.5:1 contrast on their background; the two windows differ in lightness too.
THEMES = {
    "light": {"bg": "#ffffff", "fg": "#1f2328", "grid": "#d8dee4", "muted": "#6e7781",
              "five_hour": "#0969da", "seven_day": "#bc4c00"},
    "dark": {"bg": "#0d1117", "fg": "#e6edf3", "grid": "#30363d", "muted": "#8b949e",
             "five_hour": "#58a6ff", "seven_day": "#f0883e"},
}
MARK_AT = 104.0  # reset marks sit above the 100 % line, in their window's colour
TOP = 109.0


class ChartError(Exception):
    """The chart cannot be drawn here (matplotlib is missing): one sentence for the user."""


@record
class Drawn:
    """What was drawn, and where: tests and the window map moments and figures to pixels with `pixel`."""

    size: tuple[int, int]
    box: tuple[float, float, float, float]  # the plot area in pixels: left, top, right, bottom (top-left origin)
    span: tuple[float, float]  # the x axis's ends as matplotlib date numbers
    marks: tuple[tuple[str, str, datetime], ...]  # (window, kind, at) of each reset mark drawn

    def pixel(self, at: datetime, percent: float) -> tuple[int, int]:
        """The pixel (column, row from the top) where `at` and `percent` are drawn."""
        from matplotlib.dates import date2num

        left, top, right, bottom = self.box
        x = left + (right - left) * (float(date2num(at)) - self.span[0]) / (self.span[1] - self.span[0])
        y = bottom - (bottom - top) * percent / TOP
        return round(x), round(y)


def draw(
    history: Sequence[Reading],
    out,
    *,
    now: datetime,
    days: float = 7,
    windows: Sequence[str] = WINDOWS,
    theme: str = "light",
    scale: float = 1.0,
    thresholds: Sequence[int] = (80, 90, 100),
    tz: tzinfo | None = None,
) -> Drawn:
    """Draw the last `days` days before `now` to `out` (a path or a binary file) as PNG."""
    try:
        import matplotlib
    except ImportError:
        raise ChartError("The chart needs matplotlib: pip install matplotlib (or pipx inject claude-tray "
                         "matplotlib).") from None
    matplotlib.use("Agg", force=True)
    from matplotlib import dates as mdates
    from matplotlib import ticker
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    tz = tz or _local_zone()
    colours = THEMES.get(theme, THEMES["light"])
    start = now - timedelta(days=days)
    shown = [r for r in history if start <= r.at <= now]
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI * scale, facecolor=colours["bg"])
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.075, 0.2, 0.865, 0.7))
    ax.set_facecolor(colours["bg"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(colours["muted"])
    ax.tick_params(colors=colours["fg"], labelsize=8)
    ax.grid(True, color=colours["grid"], linewidth=0.6)
    ax.set_axisbelow(True)

    for level in thresholds:
        ax.axhline(level, color=colours["muted"], linewidth=0.9 if level < 100 else 1.3,
                   linestyle=(0, (1, 2)) if level < 100 else "-", zorder=1)
    ahead = projections(history, now)
    end = now
    marks: list[tuple[str, str, datetime]] = []
    legend = []
    for window in windows:
        colour = colours[window]
        xs, ys = _series(shown, window)
        ax.plot(mdates.date2num(xs), ys, color=colour, linewidth=1.6, solid_joinstyle="round", zorder=3)
        legend.append(Line2D([], [], color=colour, linewidth=2, label=LABELS[window]))
        for reset in resets(history, window):
            if start <= reset.at <= now:
                odd = reset.kind != "reset"
                ax.plot([mdates.date2num(reset.at)], [MARK_AT], marker="X" if odd else "v", markersize=7 if odd else 6,
                        color=colour, linestyle="none", zorder=4, clip_on=False)
                ax.axvline(float(mdates.date2num(reset.at)), color=colour, linewidth=0.8, alpha=0.35, zorder=2)
                marks.append((window, reset.kind, reset.at))
        p = ahead.get(window)
        if p is not None:
            line = _projection_line(p, now, days)
            ax.plot(mdates.date2num(line[0]), line[1], color=colour, linewidth=1.4, linestyle=(0, (4, 3)), zorder=3)
            end = max(end, line[0][-1])
    if [t for t in thresholds if t < 100]:
        legend.append(Line2D([], [], color=colours["muted"], linestyle=(0, (1, 2)),
                             label="notify at " + ", ".join(f"{t}" for t in thresholds if t < 100) + " %"))
    legend.append(Line2D([], [], color=colours["muted"], linestyle="none", marker="v", label="reset"))
    legend.append(Line2D([], [], color=colours["muted"], linestyle="none", marker="X",
                         label="early/late/surprise reset"))
    if ahead:
        legend.append(Line2D([], [], color=colours["muted"], linestyle=(0, (4, 3)), label="at this pace"))

    ax.set_ylim(0, TOP)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:.0f} %"))
    ax.set_xlim(float(mdates.date2num(start)), float(mdates.date2num(end)))
    if days > 2:
        ax.xaxis.set_major_locator(mdates.DayLocator(tz=tz))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %d", tz=tz))
        ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=(6, 12, 18), tz=tz))
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=tz, maxticks=9))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %H:%M", tz=tz))
    zone = datetime.now(tz).strftime("%Z") or "local time"
    ax.set_title(f"Claude usage, last {days:g} days ({zone})", color=colours["fg"], fontsize=10, loc="left")
    fig.legend(handles=legend, loc="lower center", ncol=len(legend), frameon=False, fontsize=8,
               labelcolor=colours["fg"])
    fig.savefig(out, format="png", facecolor=colours["bg"])
    width, height = fig.canvas.get_width_height()
    box = ax.get_window_extent()
    drawn = Drawn(
        size=(width, height),
        box=(box.x0, height - box.y1, box.x1, height - box.y0),
        span=(float(ax.get_xlim()[0]), float(ax.get_xlim()[1])),
        marks=tuple(marks),
    )
    fig.clear()
    return drawn


def _series(readings: Sequence[Reading], window: str) -> tuple[list[datetime], list[float]]:
    """The window's figures, broken (NaN) where no reading was taken for a while (the laptop slept)."""
    figures = WINDOW_FIGURES[window]
    xs: list[datetime] = []
    ys: list[float] = []
    last = None
    for r in readings:
        percent, _ = figures(r)
        if percent is None:
            continue
        if last is not None and r.at - last > MAX_GAP:
            xs.append(last + (r.at - last) / 2)
            ys.append(float("nan"))
        xs.append(r.at)
        ys.append(percent)
        last = r.at
    return xs, ys


def _projection_line(p: Projection, now: datetime, days: float) -> tuple[list[datetime], list[float]]:
    """From the latest reading to the limit at this pace (or to the reset, where it lasts), at most a tenth of
    the chart's span ahead so that a week-away limit does not squeeze the week into a corner."""
    ahead = timedelta(days=days) / 10
    if p.limit_at is not None:
        target, level = max(p.limit_at, now + timedelta(minutes=1)), 100.0
    else:
        target = p.resets_at
        level = min(100.0, p.percent + p.rate * ((target - now) / timedelta(hours=1)))
    if target - now > ahead:  # cut at the chart's edge, on the same line
        fraction = ahead / (target - now)
        target, level = now + ahead, p.percent + (level - p.percent) * fraction
    return [now, target], [p.percent, level]


def _local_zone() -> tzinfo:
    try:
        from dateutil import tz  # type: ignore[import-untyped]  # matplotlib's: the local zone's DST over a week

        zone = tz.tzlocal()
        if zone is not None:
            return zone
    except ImportError:
        pass
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local
