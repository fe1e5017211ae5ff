"""Reading a figure from JSON: the one finite-number reader (the value model, the history, the status line).
Standard library only."""

from __future__ import annotations

import math


def finite_number(value: object) -> float | None:
    """A JSON number as a finite float; None for anything else (bools, text, NaN, ±Infinity, huge integers)."""
    if type(value) is float:  # the common case first: an 8-day history holds thousands of them
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # JSON integers have no size limit; one too big for a float is no figure
        return None
    return number if math.isfinite(number) else None
