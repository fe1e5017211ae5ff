"""What the icon should show, as plain values: the contract between `view` (pure) and `render` (Pillow)."""

from __future__ import annotations

from enum import Enum

from tray.base.values import record


class Look(str, Enum):
    """The six states a glance must tell apart (SPEC §5)."""

    OK = "ok"
    STALE = "stale"  # last good reading is old; figures still shown, dimmed
    RATE_LIMITED = "rate-limited"  # cooling down after a 429; figures shown
    OFFLINE = "offline"  # network or server error; figures shown if we have them
    EXPIRED = "expired"  # token expired or refused: run `claude` to refresh
    SIGNED_OUT = "signed-out"  # no credentials at all


class Level(str, Enum):
    NORMAL = "normal"  # < 70 %
    WARNING = "warning"  # 70 % ≤ x < 90 %
    CRITICAL = "critical"  # ≥ 90 %


def level_of(percent: float) -> Level:
    if percent >= 90:
        return Level.CRITICAL
    if percent >= 70:
        return Level.WARNING
    return Level.NORMAL


@record
class RingSpec:
    """Everything `render_ring` needs. Percentages may exceed 100; None means "no such window"."""

    look: Look = Look.OK
    outer: float | None = None  # 5-hour utilization, percent
    inner: float | None = None  # weekly utilization (7-day or the highest per-model window), percent
    outer_pace: float | None = None  # fraction 0–1 of the 5-hour window elapsed
    inner_pace: float | None = None  # fraction 0–1 of the weekly window elapsed
    outer_ahead: bool = False  # usage runs ahead of elapsed time by a margin: warn on the pace tick
    inner_ahead: bool = False
    single: bool = False  # one window only (`outer`), drawn as one ring: the `icon` setting chose one
    remaining: bool = False  # arcs show what is left (100 - used); the level still follows what is used
    digits: bool = False  # the figure as digits inside the icon, for hosts with no label beside it (opt-in)
