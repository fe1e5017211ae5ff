"""Each window's pace as far as it does not depend on the clock: what `tray.forecast.projection` works out from the
history, stored in the cache beside it. Pure, standard library only.

Every writer stores it (`tray.model.state.state_to_section`), so `claude-tray status` and the status line's
`--projection` can project without reading the 720-reading history: `projection.finish(pace, now)` gives
exactly what `projection.project(history, window, now)` gives for any `now` from `Paces.through` on (a
property test holds it to that).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from tray.base.numbers import finite_number
from tray.base.timeparse import format_iso, parse_timestamp
from tray.base.values import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MOMENTS = ("since", "at", "resets_at")
_FIGURES = ("percent", "rate", "rate_low", "rate_high")


@record
class Pace:
    window: str  # "five_hour" or "seven_day"
    since: datetime  # the first reading of the window's current period
    at: datetime  # its latest reading
    percent: float  # the figure at `at`
    resets_at: datetime
    rate: float  # percent per hour over the period
    rate_low: float
    rate_high: float
    readings: int

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"window": self.window, "readings": self.readings}
        out.update((k, format_iso(getattr(self, k))) for k in _MOMENTS)
        out.update((k, getattr(self, k)) for k in _FIGURES)
        return out

    @classmethod
    def from_dict(cls, raw: object) -> Pace | None:
        """What `to_dict` wrote; anything else (another tool's, a half-written one) reads as None."""
        if not isinstance(raw, Mapping):
            return None
        window, readings = raw.get("window"), raw.get("readings")
        since, at, resets_at = (parse_timestamp(raw.get(k)) for k in _MOMENTS)
        percent, rate, rate_low, rate_high = (finite_number(raw.get(k)) for k in _FIGURES)
        if (not isinstance(window, str) or type(readings) is not int or since is None or at is None
                or resets_at is None or percent is None or rate is None or rate_low is None or rate_high is None):
            return None
        return cls(window, since, at, percent, resets_at, rate, rate_low, rate_high, readings)


@record
class Paces:
    """The paces worked out from one history; `windows` holds only those that have one."""

    through: datetime  # that history's newest reading: the paces hold for any `now` from here on
    windows: tuple[Pace, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"through": format_iso(self.through), "windows": [p.to_dict() for p in self.windows]}

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> Paces | None:
        """The stored paces of the `tray` section, if they were worked out from the history stored beside
        them (its newest reading is `through`); else None: a reader that wants projections reads the history."""
        raw, history = section.get("pace"), section.get("history")
        if not isinstance(raw, Mapping) or not isinstance(history, list) or not history:
            return None
        newest, through, windows = history[-1], raw.get("through"), raw.get("windows")
        if type(newest) is list:  # a reading as stored now, `[at, …]` (tray.model.state.Reading.to_row)
            newest_at = newest[0] if newest else None
        else:
            newest_at = newest.get("at") if isinstance(newest, Mapping) else None
        if newest_at is None or newest_at != through or not isinstance(windows, list):
            return None
        at = parse_timestamp(through)
        paces = tuple(p for p in (Pace.from_dict(x) for x in windows) if p is not None)
        if at is None or len(paces) != len(windows):
            return None
        return cls(at, paces)

