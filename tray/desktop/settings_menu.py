"""The settings in the running tray (SPEC §9): followed at every redraw, changed from the Settings submenu.

The tray holds no settings of its own: each redraw takes them from the cache it just read (so `claude-tray
config set` and another tray's menu apply at the next tick, without a restart), remembers them, and puts them
back when a foreign rewrite of the file (oh-my-claude's) dropped them. Flags given to `claude-tray run`
(`--interval`, `--quiet-hours`) win over the stored values for that run only.

The text beside the icon: pystray has no label API. On the AppIndicator backend the Ayatana indicator object
pystray keeps (`icon._appindicator`) has `set_label`, which StatusNotifierItem hosts read as `XAyatanaLabel`
(XFCE's status-notifier plugin, GNOME's AppIndicator extension, Unity). On macOS the status item's button
title is set (guarded: pystray's private `_status_item`; not testable on this machine). Every other host
(XEmbed trays, Windows) has no label: there the `label` setting draws the figure as digits in the icon.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from tray.base.values import replace
from tray.errors import TrayError
from tray.show.look import RingSpec
from tray.show.settings_items import settings_groups
from tray.store import settings as stored

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from tray.model.state import CachedState

    TrayApp = Any  # tray.desktop.app.TrayApp, which imports this module (no import back: no cycle)

log = logging.getLogger("claude-tray")
LABEL_GUIDE = "100% · 10h00m"  # the widest label: hosts reserve its width, so the panel does not jump


def follow(app: TrayApp, state: CachedState, now: datetime) -> stored.Settings:
    """The settings in force for this redraw: the cache's, remembered, and put back after a foreign rewrite."""
    if state.settings is not None:
        app.stored_settings = dict(state.settings)
    elif app.stored_settings:  # dropped by a foreign rewrite: ours again from memory
        try:
            with app._write_lock:
                if stored.put_back(app.cache_file, app.stored_settings, now=now, update=app.reader.write):
                    log.info("settings put back after the cache was rewritten by another program")
        except TrayError as error:
            log.warning("settings not put back: %s", error)
        state = replace(state, settings=app.stored_settings)
    chosen = stored.settings_of(state)
    if chosen != app.settings:
        changed = ", ".join(f"{k} {v}" for k, v in chosen.items() if app.settings.text(k) != v)
        log.info("settings in force: %s", changed)
        if chosen.theme != app.settings.theme:
            app._ring = None  # the same figures in other colours: the picture must be drawn again
    app.settings = chosen
    return chosen


def host_has_label(icon: Any) -> bool:
    return icon is not None and (hasattr(icon, "_appindicator") or hasattr(icon, "_status_item"))


def ring_for_host(app: TrayApp, ring: RingSpec) -> RingSpec:
    """The digits look where the label was asked for but the host can show none beside the icon."""
    if app.settings.label != "off" and not host_has_label(app.icon):
        return replace(ring, digits=True)
    return ring


def show_label(icon: Any, text: str) -> bool:
    """Put `text` beside the icon where the host can show it; True when the backend took it."""
    indicator = getattr(icon, "_appindicator", None)
    if indicator is not None:
        from gi.repository import GLib  # the backend imported it: the call runs on GTK's main loop

        def apply() -> bool:
            indicator.set_label(text, LABEL_GUIDE if text else "")
            return False

        GLib.idle_add(apply)
        return True
    status_item = getattr(icon, "_status_item", None)  # macOS (pystray's darwin backend); untested here
    if status_item is not None:
        try:
            # AppKit wants its main thread: the call is queued there, as pystray's own loop runs it.
            status_item.button().performSelectorOnMainThread_withObject_waitUntilDone_("setTitle:", text, False)
            return True
        except Exception as error:  # an AppKit without the call: the icon alone is still right
            log.info("status item title not set: %s", type(error).__name__)
    return False


def interval(app: TrayApp) -> float:
    """The poll interval in force: the flag or environment of this run, else the `interval` setting."""
    if app.interval_fixed:
        return app.base_interval
    from tray.fetching.gate import clamp_interval

    return clamp_interval(float(app.settings.interval))


def quiet_hours(app: TrayApp) -> Any:
    """Quiet hours in force: `--quiet-hours` of this run, else the `quiet_hours` setting (None: off)."""
    if app.quiet_hours is not None:
        return app.quiet_hours
    span = app.settings.quiet_hours
    if not span:
        return None
    from tray.show.quiet import QuietHours

    return QuietHours.parse(span)


def theme(app: TrayApp) -> str:
    """The panel theme to draw for: the `theme` setting, or the one detected (`auto`)."""
    return app.settings.theme if app.settings.theme in ("light", "dark") else app.theme


def choose(app: TrayApp, key: str, value: str, *, now: Callable[[], datetime] | None = None) -> None:
    """A Settings item was activated: store the setting, then redraw at once (the same as the next tick would)."""
    when = (now or app.clock)()
    models = stored.model_names(app.last_state)
    try:
        with app._write_lock:
            stored.change_settings(app.cache_file, lambda s: s.with_text(key, value, models=models), now=when,
                                   update=app.reader.write)  # our section put back first, as every write of ours
    except TrayError as error:
        log.warning("setting %s not changed: %s", key, error)
        app.notify(str(error), "Claude usage settings")
        return
    if not app.stopping.is_set():
        app.redraw()
        with app.ui_lock:
            if app.icon is not None and not app.stopping.is_set():
                app.icon.update_menu()


def item(app: TrayApp, pystray: Any) -> Any:
    """The **Settings** submenu, built again whenever pystray builds the menu."""
    Item, Menu = pystray.MenuItem, pystray.Menu

    def activate(key: str, value: str) -> Callable[[], None]:
        # Off pystray's thread: a cache write waits for its lock, and GTK's loop must not.
        return lambda: threading.Thread(target=choose, args=(app, key, value), name="setting", daemon=True).start()

    def entries() -> Any:
        state = app.last_state
        shown = None
        if app.settings.icon == "auto" and state is not None and state.usage is not None:
            from tray.show.choice import binding

            top = binding(state.usage)
            shown = top.label if top is not None else None
        groups = settings_groups(app.settings, stored.model_names(state), host_has_label=host_has_label(app.icon),
                                 shown_now=shown)
        for group in groups:
            items = [
                Item(entry.text, activate(entry.key, entry.value), checked=lambda _, c=entry.checked: c,
                     radio=entry.radio)
                for entry in group.items
            ]
            if group.title:
                yield Item(group.title, Menu(*items))
            else:
                yield from items

    return Item("Settings", Menu(entries))
