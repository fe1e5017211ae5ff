"""The menu's **Settings** submenu as plain values (SPEC §5, §9): what each item says, which setting it sets
and whether it is ticked. Pure, standard library only; `tray.desktop.settings_menu` turns it into pystray items.

Every group is a submenu of radio items (one choice of one setting), except Notifications, a check item
that turns them off and back on. A value set elsewhere (`claude-tray config`) that no item offers, such as
quiet hours 01:30-06:00, shows as one more ticked item, so the menu never hides what is in force.
"""

from __future__ import annotations

from tray.base.values import record
from tray.store.settings import DEFAULT_THRESHOLDS, Settings

QUIET_PRESETS = ("22:00-07:00", "23:00-08:00", "21:00-09:00")


@record
class SettingItem:
    text: str
    key: str  # the setting an activation sets
    value: str  # ... to this text (as `claude-tray config set KEY VALUE` takes it)
    checked: bool
    radio: bool = True


@record
class SettingGroup:
    title: str  # the submenu's name; "" for an item that stands alone in the Settings menu
    items: tuple[SettingItem, ...]


def settings_groups(settings: Settings, models: tuple[str, ...] = (), *, host_has_label: bool = True,
                    shown_now: str | None = None) -> tuple[SettingGroup, ...]:
    """The Settings submenu for `settings`; `models`: the model weeks the usage has shown (never hard-coded);
    `host_has_label`: False where no text can sit beside the icon (the label becomes digits in the icon);
    `shown_now`: what `auto` picks at the moment ("7-day Fable"), said in its item."""
    def radio(key: str, choices: list[tuple[str, str]]) -> tuple[SettingItem, ...]:
        current = settings.text(key)
        items = [SettingItem(text, key, value, current.lower() == value.lower()) for text, value in choices]
        if not any(item.checked for item in items):
            items.append(SettingItem(f"{current} (set with claude-tray config)", key, current, True))
        return tuple(items)

    auto = "The limit closest to being reached" + (f" (now {shown_now})" if shown_now else "")
    icon = [(auto, "auto"), ("5-hour and weekly, two rings", "both"), ("5-hour only", "five_hour"),
            ("Weekly only", "weekly"), *((f"{name} week only", name) for name in models)]
    label = [("Off", "off"), ("Percent (47%)", "percent"), ("Percent and reset (47% · 2h13m)", "percent-reset")]
    thresholds = settings.notify or DEFAULT_THRESHOLDS
    notify_on = SettingItem(
        "Notify at " + ", ".join(str(t) for t in thresholds) + " %",
        "notify", "off" if settings.notify else ",".join(str(t) for t in thresholds), bool(settings.notify),
        radio=False,
    )
    quiet = [("Off", "off"), *((span.replace("-", "–"), span) for span in QUIET_PRESETS)]
    theme = [("Follow the panel", "auto"), ("Light panel", "light"), ("Dark panel", "dark")]
    return (
        SettingGroup("Icon shows", radio("icon", icon)),
        SettingGroup("Count", radio("show", [("Used", "used"), ("Remaining", "remaining")])),
        # Where the host has no label (XEmbed trays, Windows) the same choice draws the number in the icon.
        SettingGroup("Label beside the icon" if host_has_label else "Number in the icon", radio("label", label)),
        SettingGroup("", (notify_on,)),
        SettingGroup("Quiet hours", radio("quiet_hours", quiet)),
        SettingGroup("Theme", radio("theme", theme)),
    )
