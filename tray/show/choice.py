"""What the icon shows, and how every figure is counted (SPEC §5, §9). Pure, standard library only.

`icon` chooses the window(s): `both` (outer 5-hour, inner weekly peak), `five_hour`, `weekly`, a model's name
seen in the usage (`Fable`), or `auto`: the binding limit, the window closest to its limit, model-scoped weeks
from `limits[]` included. `show` counts used or remaining; ring, label, title, menu, `status` and
notifications all count through `figure_text`, so they never disagree.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from tray.base.timefmt import format_countdown
from tray.base.values import record
from tray.model.usage import Usage, UsageWindow, whole_percent


@record
class IconChoice:
    """The windows the icon draws: `single` is one window in one thick ring; otherwise outer and inner."""

    outer: UsageWindow | None
    inner: UsageWindow | None
    single: bool
    note: str | None = None  # a menu line saying what the icon shows and why (None when it is the usual pair)


def figure(utilization: float, remaining: bool) -> float:
    """The number a person reads: used, or what is left of 100 (never below 0)."""
    return max(0.0, 100.0 - utilization) if remaining else utilization


def figure_text(utilization: float, remaining: bool, *, spaced: bool = False) -> str:
    """`47%` used, `53% left` remaining (whole percent rounded down, like oh-my-claude: 99.7 % is not yet 100);
    `spaced` writes `47 %` as the accessible sentence does."""
    used = max(0, whole_percent(utilization))
    if remaining:  # what is left of the whole percent used: 99.7 used leaves 1 %, and the two add up to 100
        return f"{max(0, 100 - used)}{' %' if spaced else '%'} left"
    return f"{used}{' %' if spaced else '%'}"


def short_name(window: UsageWindow) -> str:
    """`5-hour`, `weekly`, or the model's name (`Fable`)."""
    if window.key == "five_hour":
        return "5-hour"
    if window.key == "seven_day":
        return "weekly"
    return window.label[len("7-day "):] if window.label.startswith("7-day ") else window.label


def binding(usage: Usage | None) -> UsageWindow | None:
    """The window closest to its limit; on a tie the one that binds longer (the later reset)."""
    best: UsageWindow | None = None
    for window in usage.windows() if usage is not None else ():
        if best is None or window.utilization > best.utilization or (
            window.utilization == best.utilization and window.period > best.period
        ):
            best = window
    return best


def choose(usage: Usage | None, icon: str) -> IconChoice:
    """The windows the `icon` setting asks for in `usage`; a window the reading lacks falls back to the binding
    limit, and the note says so."""
    if usage is None:
        return IconChoice(None, None, single=icon != "both")
    if icon == "both":
        return IconChoice(usage.five_hour, usage.weekly_peak(), single=False)
    wanted: UsageWindow | None = None
    missing = ""
    if icon == "five_hour":
        wanted, missing = usage.five_hour, "the 5-hour window"
    elif icon == "weekly":
        wanted, missing = usage.seven_day, "the weekly window"
    elif icon != "auto":
        wanted = next((w for w in usage.models if short_name(w).lower() == icon.lower()), None)
        missing = icon
    if wanted is not None:
        return IconChoice(wanted, None, single=True)
    top = binding(usage)
    if top is None:
        return IconChoice(None, None, single=True)
    if missing:
        note = f"Icon: {missing} is not in the latest reading — showing the closest limit, {top.label}"
    else:
        note = f"Icon: {top.label}, the limit closest to being reached"
    return IconChoice(top, None, single=True, note=note)


def label_text(choice: IconChoice, now: datetime, *, mode: str, remaining: bool) -> str:
    """The text beside the icon (`label` setting): `47%`, `47% · 2h13m`, or "" (off, or nothing to show).
    With two rings it is the window closer to its limit."""
    if mode == "off":
        return ""
    shown = [w for w in (choice.outer, choice.inner) if w is not None]
    if not shown:
        return ""
    window = max(shown, key=lambda w: w.utilization)
    text = figure_text(window.utilization, remaining)
    if mode == "percent-reset" and window.resets_at is not None and window.resets_at > now:
        text += " · " + compact_countdown(window.resets_at - now)
    return text


def compact_countdown(left: timedelta) -> str:
    """`2h13m`, `45m`, `3d4h`: a label has room for no spaces."""
    minutes = max(0, math.ceil(left.total_seconds() / 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{mins:02d}m" if mins else f"{hours}h"
    return f"{mins}m"


def reset_words(window: UsageWindow, now: datetime) -> str:
    """`resets in 2 h 13 m` for the accessible sentence; "" when unknown or due."""
    if window.resets_at is None or window.resets_at <= now:
        return ""
    return "resets " + format_countdown(window.resets_at, now)
