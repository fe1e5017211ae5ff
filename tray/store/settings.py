"""The user's settings (SPEC §9): a frozen value, its validation, and where it lives in the cache.

Settings are stored in the shared cache under `tray.settings`, as text, only the keys that differ from the
default (so `claude-tray config unset KEY` is "delete the key"). `tray.model.state` carries that mapping
through every write as it was read (a key a newer version added survives an older writer); this module
turns it into a `Settings` value, tolerantly: a stored value that no longer validates reads as the default.
A bad value typed by a user is refused with one sentence naming the allowed values (a `UsageError`, exit 2),
and the old value stays.

Also: numbers people set through the environment (CLAUDE_TRAY_INTERVAL, CLAUDE_TRAY_TICK_SECONDS), `env_seconds`.
Standard library only, and cheap to import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping

from tray.base.values import record, replace
from tray.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from tray.model.state import CachedState


def env_seconds(env: Mapping[str, str], name: str) -> float | None:
    """A positive number of seconds from `env[name]`; unset is None; anything else is a one-sentence error."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{name} must be a positive number of seconds, not {raw!r}.")
    return value


KEYS = ("icon", "show", "label", "notify", "quiet_hours", "interval", "theme", "share_dir")
ICON_CHOICES = ("auto", "both", "five_hour", "weekly")  # or a model name seen in the usage (e.g. "Fable")
SHOW_CHOICES = ("used", "remaining")
LABEL_CHOICES = ("off", "percent", "percent-reset")
THEME_CHOICES = ("auto", "light", "dark")
MIN_INTERVAL_S = 30
MAX_INTERVAL_S = 86400
DEFAULT_THRESHOLDS = (80, 90, 100)

_SPAN = r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$"  # compiled when first needed: `status` rarely reads one


@record
class Settings:
    """Every §9 setting with its default. `notify=()` is "off"; `quiet_hours`/`share_dir` None are "off"."""

    icon: str = "both"  # auto | both | five_hour | weekly | a model's display name ("Fable")
    show: str = "used"  # used | remaining
    label: str = "off"  # off | percent | percent-reset
    notify: tuple[int, ...] = DEFAULT_THRESHOLDS  # thresholds in percent, ascending; () = off
    quiet_hours: str | None = None  # "HH:MM-HH:MM" (zero-padded), or None
    interval: int = 60  # seconds between fetches, >= 30
    theme: str = "auto"  # auto | light | dark
    share_dir: str | None = None  # a folder (SPEC §10), or None

    @property
    def remaining(self) -> bool:
        """True when figures count what is left (100 - used) rather than what is used."""
        return self.show == "remaining"

    def text(self, key: str) -> str:
        """The value of `key` as `claude-tray config get` prints it and the cache stores it."""
        return _text(key, getattr(self, _attr(key)))

    def items(self) -> tuple[tuple[str, str], ...]:
        """(key, text) for every key, in SPEC order."""
        return tuple((key, self.text(key)) for key in KEYS)

    def is_default(self, key: str) -> bool:
        return getattr(self, _attr(key)) == getattr(DEFAULTS, _attr(key))

    def to_stored(self) -> dict[str, str]:
        """What goes under `tray.settings`: the keys that differ from their default, as text."""
        return {key: self.text(key) for key in KEYS if not self.is_default(key)}

    def with_text(self, key: str, text: str, *, models: Iterable[str] = ()) -> Settings:
        """A copy with `key` set from user text; a bad key or value raises UsageError (one sentence)."""
        return replace(self, **{_attr(check_key(key)): parse_value(key, text, models=models)})

    def without(self, key: str) -> Settings:
        """A copy with `key` back at its default."""
        attr = _attr(check_key(key))
        return replace(self, **{attr: getattr(DEFAULTS, attr)})


DEFAULTS = Settings()


def check_key(key: str) -> str:
    if key not in KEYS:
        raise UsageError(f"There is no setting {key!r}; the settings are {_either(KEYS)}.")
    return key


def parse_value(key: str, text: str, *, models: Iterable[str] = ()) -> Any:
    """The typed value of `key` from user text. `models`: the model names the usage has shown (for `icon`).
    Raises UsageError with one sentence naming the allowed values."""
    check_key(key)
    raw = text.strip() if isinstance(text, str) else ""
    if key == "icon":
        for choice in ICON_CHOICES:
            if raw.lower() == choice:
                return choice
        known = tuple(dict.fromkeys(m for m in models if m))
        for name in known:
            if raw.lower() == name.lower():
                return name
        allowed = (*ICON_CHOICES, *known)
        if not known:
            raise UsageError(
                f"icon must be {_either(allowed)}, or the name of a model-scoped week once the usage has shown "
                f"one, not {text!r}."
            )
        raise UsageError(f"icon must be {_either(allowed)}, not {text!r}.")
    if key in ("show", "label", "theme"):
        choices = {"show": SHOW_CHOICES, "label": LABEL_CHOICES, "theme": THEME_CHOICES}[key]
        if raw.lower() in choices:
            return raw.lower()
        raise UsageError(f"{key} must be {_either(choices)}, not {text!r}.")
    if key == "notify":
        return _thresholds(raw, text)
    if key == "quiet_hours":
        return None if raw.lower() == "off" else _span(raw, text)
    if key == "interval":
        return _interval(raw, text)
    # share_dir
    if raw.lower() == "off":
        return None
    if not raw or "\x00" in raw or any(ord(c) < 32 for c in raw):
        raise UsageError(f"share_dir must be a folder path or off, not {text!r}.")
    return raw


def settings_from_stored(stored: Mapping[str, Any] | None) -> Settings:
    """The settings a stored `tray.settings` mapping says; a missing, foreign or invalid value is the default.
    Never raises. A model name for `icon` is taken as stored (it was checked when it was set)."""
    if not isinstance(stored, Mapping):
        return DEFAULTS
    changes: dict[str, Any] = {}
    for key in KEYS:
        value = stored.get(key)
        if not isinstance(value, str):
            continue
        try:
            changes[_attr(key)] = parse_value(key, value, models=(value,) if key == "icon" else ())
        except UsageError:
            continue
    return replace(DEFAULTS, **changes) if changes else DEFAULTS


def settings_of(state: CachedState | None) -> Settings:
    """The settings in a state read from the cache (defaults when it holds none)."""
    return settings_from_stored(getattr(state, "settings", None))


def stored_form(settings: Settings, previous: Mapping[str, str] | None = None) -> dict[str, str]:
    """`tray.settings` for `settings`, keeping keys this version does not know (a newer one wrote them)."""
    kept = {k: v for k, v in (previous or {}).items() if k not in KEYS}
    return {**kept, **settings.to_stored()}


def change_settings(cache_file: Any, change: Callable[[Settings], Settings], *, now: Any,
                    update: Callable[..., CachedState] | None = None) -> Settings:
    """Apply `change` to the settings in the cache under its lock (re-read first) and write them; returns the
    settings now stored. `change` may raise UsageError: nothing is written then. `update`: the writer
    (`cache.update_state`'s signature; the running tray's `CacheReader.write`, which keeps its section)."""

    def write(current: CachedState) -> CachedState:
        new = change(settings_of(current))
        return replace(current, settings=stored_form(new, current.settings))

    return settings_of(_writer(update)(cache_file, write, now=now))


def _writer(update: Callable[..., CachedState] | None) -> Callable[..., CachedState]:
    if update is not None:
        return update
    from tray.store import cache

    return cache.update_state


def put_back(cache_file: Any, stored: Mapping[str, str], *, now: Any,
             update: Callable[..., CachedState] | None = None) -> bool:
    """After a foreign rewrite dropped `tray.settings`: write back what the tray last saw, unless another
    writer of ours stored settings meanwhile. True when written (through `update`, as `change_settings`)."""
    wrote = [False]

    def write(current: CachedState) -> CachedState:
        if current.settings is not None:
            return current
        wrote[0] = True
        return replace(current, settings=dict(stored))

    _writer(update)(cache_file, write, now=now)
    return wrote[0]


def model_names(state: CachedState | None) -> tuple[str, ...]:
    """The model-scoped weekly windows the cached usage knows, by display name ("Fable", "Opus"), never hard-coded."""
    usage = getattr(state, "usage", None)
    if usage is None:
        return ()
    names = []
    for window in usage.models:
        label = window.label
        names.append(label[len("7-day "):] if label.startswith("7-day ") else label)
    return tuple(dict.fromkeys(n for n in names if n))


def _attr(key: str) -> str:
    return key  # keys and attribute names are the same today; one place to change if they ever differ


def _text(key: str, value: Any) -> str:
    if key == "notify":
        return ",".join(str(v) for v in value) if value else "off"
    if key in ("quiet_hours", "share_dir"):
        return value if value else "off"
    return str(value)


def _either(choices: Iterable[str]) -> str:
    items = list(choices)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _thresholds(raw: str, text: str) -> tuple[int, ...]:
    if raw.lower() == "off":
        return ()
    parts = [p.strip() for p in raw.split(",")]
    values = []
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= 100:
            raise UsageError(
                f"notify must be off or thresholds between 1 and 100 separated by commas, like 80,90,100, not {text!r}."
            )
        values.append(int(part))
    return tuple(sorted(set(values)))


def _span(raw: str, text: str) -> str:
    match = re.match(_SPAN, raw.replace(" ", ""))
    if match:
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 <= 23 and h2 <= 23 and m1 <= 59 and m2 <= 59 and (h1, m1) != (h2, m2):
            return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"
    raise UsageError(f"quiet_hours must be off or a daily span HH:MM-HH:MM like 22:00-07:00, not {text!r}.")


def _interval(raw: str, text: str) -> int:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != int(value) or not MIN_INTERVAL_S <= value <= MAX_INTERVAL_S:
        raise UsageError(
            f"interval must be a whole number of seconds from {MIN_INTERVAL_S} to {MAX_INTERVAL_S}, not {text!r}."
        )
    return int(value)
