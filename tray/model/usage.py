"""The usage model and a tolerant parser for the undocumented usage endpoint (SPEC §2).

Pure and standard-library only. `null` is "no such window", never 0 %; unknown keys are ignored;
utilization above 100 is kept as it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from tray.base.numbers import finite_number
from tray.base.printable import one_line
from tray.base.timeparse import format_iso, parse_timestamp
from tray.base.values import field, record
from tray.errors import BadResponse, UnrecognisedAnswer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FIVE_HOURS = timedelta(hours=5)
SEVEN_DAYS = timedelta(days=7)

_MODEL_NAMES = {"opus": "Opus", "sonnet": "Sonnet", "oauth_apps": "OAuth apps", "cowork": "Cowork"}
_KNOWN_TOP_KEYS = ("five_hour", "seven_day", "extra_usage", "limits")
_MAX_PERIOD_S = 366 * 86400  # no rate-limit window is longer than a year
# What is kept of an answer (SPEC §8): a hostile one of 17,000 windows must not become a 3.5 MB cache and
# 17,005 lines. Real answers have under ten windows; names are a word or two.
MAX_MODEL_WINDOWS = 30
MAX_NAME_CHARS = 48
MAX_KEY_CHARS = 64


def _name(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """A server's (or the cache's) name as one short line with every control character escaped."""
    return one_line(text, limit)


def _currency(value: object) -> str | None:
    """An ISO 4217 code (`USD`) or None: anything else in that field is not a currency to show."""
    return value if isinstance(value, str) and value.isascii() and value.isalpha() and len(value) <= 4 else None


@record
class UsageWindow:
    """One rate-limit window: `key` is stable (`five_hour`, `seven_day`, `seven_day_opus`, `model:fable`)."""

    key: str
    label: str
    utilization: float
    resets_at: datetime | None
    period: timedelta
    severity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "utilization": self.utilization,
            "resets_at": format_iso(self.resets_at) if self.resets_at else None,
            "period_s": int(self.period.total_seconds()),
            "severity": self.severity,
        }

    @classmethod
    def from_dict(cls, raw: object) -> UsageWindow | None:
        if not isinstance(raw, Mapping):
            return None
        key, label = raw.get("key"), raw.get("label")
        utilization = finite_number(raw.get("utilization"))
        period = finite_number(raw.get("period_s"))
        if not isinstance(key, str) or not isinstance(label, str) or utilization is None:
            return None
        severity = raw.get("severity")
        return cls(
            key=_name(key, MAX_KEY_CHARS),
            label=_name(label),
            utilization=utilization,
            resets_at=parse_timestamp(raw.get("resets_at")),
            # Bounded: a huge number (another tool's garbage) would overflow timedelta.
            period=timedelta(seconds=period) if period and 0 < period <= _MAX_PERIOD_S else SEVEN_DAYS,
            severity=_name(severity, 20) if isinstance(severity, str) else None,
        )


@record
class ExtraUsage:
    """Paid usage beyond the plan; money in minor units of `currency` (cents for USD)."""

    is_enabled: bool
    monthly_limit: float | None
    used_credits: float | None
    utilization: float | None
    currency: str | None
    decimal_places: int = 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "is_enabled": self.is_enabled,
            "monthly_limit": self.monthly_limit,
            "used_credits": self.used_credits,
            "utilization": self.utilization,
            "currency": self.currency,
            "decimal_places": self.decimal_places,
        }

    @classmethod
    def from_dict(cls, raw: object) -> ExtraUsage | None:
        if not isinstance(raw, Mapping):
            return None
        places = raw.get("decimal_places")
        currency = raw.get("currency")
        return cls(
            is_enabled=raw.get("is_enabled") is True,
            monthly_limit=finite_number(raw.get("monthly_limit")),
            used_credits=finite_number(raw.get("used_credits")),
            utilization=finite_number(raw.get("utilization")),
            currency=_currency(currency),
            decimal_places=places if isinstance(places, int) and 0 <= places <= 6 else 2,
        )


@record
class Usage:
    five_hour: UsageWindow | None = None
    seven_day: UsageWindow | None = None
    models: tuple[UsageWindow, ...] = field(default_factory=tuple)
    extra: ExtraUsage | None = None

    def windows(self) -> tuple[UsageWindow, ...]:
        main = tuple(w for w in (self.five_hour, self.seven_day) if w is not None)
        return main + self.models

    def weekly_peak(self) -> UsageWindow | None:
        """The weekly window the inner ring shows: 7-day, or a per-model window that is higher."""
        candidates = [w for w in (self.seven_day, *self.models) if w is not None]
        if not candidates:
            return None
        best = candidates[0]
        for window in candidates[1:]:
            if window.utilization > best.utilization:
                best = window
        return best

    def to_dict(self) -> dict[str, Any]:
        return {
            "five_hour": self.five_hour.to_dict() if self.five_hour else None,
            "seven_day": self.seven_day.to_dict() if self.seven_day else None,
            "models": [w.to_dict() for w in self.models],
            "extra": self.extra.to_dict() if self.extra else None,
        }

    @classmethod
    def from_dict(cls, raw: object) -> Usage | None:
        """Read what `to_dict` wrote; anything foreign reads as None, never raises."""
        if not isinstance(raw, Mapping):
            return None
        models_raw = raw.get("models")
        models = tuple(
            w for w in (UsageWindow.from_dict(m)
                        for m in (models_raw[:MAX_MODEL_WINDOWS] if isinstance(models_raw, list) else []))
            if w is not None
        )
        return cls(
            five_hour=UsageWindow.from_dict(raw.get("five_hour")),
            seven_day=UsageWindow.from_dict(raw.get("seven_day")),
            models=models,
            extra=ExtraUsage.from_dict(raw.get("extra")),
        )


def parse_usage(payload: object) -> Usage:
    """Turn the endpoint's JSON (already decoded) into `Usage`; raise `BadResponse` if it is not usage."""
    if not isinstance(payload, Mapping):
        raise BadResponse("The usage endpoint answered with something other than a JSON object.")
    if not any(key in payload for key in _KNOWN_TOP_KEYS):
        raise BadResponse("The usage endpoint's answer has none of the expected usage fields.")

    five_hour = _window(payload.get("five_hour"), "five_hour", "5-hour", FIVE_HOURS)
    seven_day = _window(payload.get("seven_day"), "seven_day", "7-day", SEVEN_DAYS)
    models: list[UsageWindow] = []
    labels: set[str] = set()  # lower-cased, so a limits[] entry repeating a window is found in constant time
    for key, value in payload.items():
        if len(models) >= MAX_MODEL_WINDOWS:
            break
        if isinstance(key, str) and key.startswith("seven_day_"):
            name = key[len("seven_day_"):]
            label = "7-day " + _name(_MODEL_NAMES.get(name, name.replace("_", " ").capitalize()))
            window = _window(value, _name(key, MAX_KEY_CHARS), label, SEVEN_DAYS)
            if window is not None:
                models.append(window)
                labels.add(label.lower())

    limits = payload.get("limits")
    for entry in limits if isinstance(limits, list) else []:
        if not isinstance(entry, Mapping):
            continue
        kind = entry.get("kind")
        if not ((kind == "session" and five_hour is None) or (kind == "weekly_all" and seven_day is None)
                or (kind == "weekly_scoped" and len(models) < MAX_MODEL_WINDOWS)):
            continue  # nothing it could add: no time spent on it (linear in the entries)
        percent = finite_number(entry.get("percent"))
        if percent is None:
            continue
        resets_at = parse_timestamp(entry.get("resets_at"))
        named = entry.get("severity")
        severity = _name(named, 20) if isinstance(named, str) else None
        if kind == "session" and five_hour is None:
            five_hour = UsageWindow("five_hour", "5-hour", percent, resets_at, FIVE_HOURS, severity)
        elif kind == "weekly_all" and seven_day is None:
            seven_day = UsageWindow("seven_day", "7-day", percent, resets_at, SEVEN_DAYS, severity)
        elif kind == "weekly_scoped":
            scoped = _scoped_name(entry.get("scope"))
            if scoped and f"7-day {scoped}".lower() not in labels:
                labels.add(f"7-day {scoped}".lower())
                models.append(
                    UsageWindow(f"model:{scoped.lower()}", f"7-day {scoped}", percent, resets_at, SEVEN_DAYS, severity)
                )

    usage = Usage(five_hour=five_hour, seven_day=seven_day, models=tuple(models), extra=_extra(payload))
    if not usage.windows() and usage.extra is None:
        # An answer of windows we do not know yet (a new bucket, a `limits[]` of unknown kinds) is not "ok, 0 %".
        raise UnrecognisedAnswer("The usage endpoint answered with no window this version recognises.")
    return usage


def _window(raw: object, key: str, label: str, period: timedelta) -> UsageWindow | None:
    if not isinstance(raw, Mapping):
        return None
    utilization = finite_number(raw.get("utilization"))
    if utilization is None:
        return None
    return UsageWindow(key, label, utilization, parse_timestamp(raw.get("resets_at")), period)


def _scoped_name(scope: object) -> str | None:
    if not isinstance(scope, Mapping):
        return None
    model = scope.get("model")
    if isinstance(model, Mapping):
        name = model.get("display_name") or model.get("id")
        if isinstance(name, str) and name.strip():
            return _name(name)
    return None


def _extra(payload: Mapping[str, Any]) -> ExtraUsage | None:
    extra = ExtraUsage.from_dict(payload.get("extra_usage"))
    if extra is not None and extra.currency is None:
        spend = payload.get("spend")
        used = spend.get("used") if isinstance(spend, Mapping) else None
        currency = used.get("currency") if isinstance(used, Mapping) else None
        if _currency(currency) is not None:
            extra = ExtraUsage(
                extra.is_enabled, extra.monthly_limit, extra.used_credits, extra.utilization, currency,
                extra.decimal_places,
            )
    return extra


def whole_percent(utilization: float) -> int:
    """A percentage truncated as oh-my-claude writes it, float noise first snapped (SPEC §2): Claude Code sends
    29 % as 28.999999999999996, which truncates to 28; 25.9 still gives 25."""
    whole = round(utilization)
    return int(whole) if abs(utilization - whole) <= 1e-6 else math.floor(utilization)
