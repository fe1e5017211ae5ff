"""Quiet hours (`--quiet-hours 22:00-08:00`): a daily span, possibly across midnight, with no pop-ups."""

from __future__ import annotations

import re
from datetime import datetime, time

from tray.base.values import record
from tray.errors import UsageError

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@record
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        match = _SPAN.match(text)
        if not match:
            raise UsageError(f"Quiet hours look like 22:00-08:00, not {text!r}.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise UsageError(f"Quiet hours need times between 00:00 and 23:59, not {text!r}.")
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: datetime) -> bool:
        """`moment` in local time; a span like 22:00-08:00 wraps past midnight."""
        now = moment.time().replace(second=0, microsecond=0, tzinfo=None)
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end
