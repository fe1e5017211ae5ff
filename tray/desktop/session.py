"""The tray's life on a Linux desktop: notifications of its own, no tray host, the panel's real colour.

`prepare` runs before the icon exists (the notifier, the panel's colour if a panel already runs); `start`
runs once pystray's loop runs: it says so when no tray host is there — in the log and as a notification —
and, when one appears (a late panel, a panel restarted), takes the panel's colour again and hands the
icon its picture, so it shows within a second or two. Polls only while no host runs: then one
`GetSelectionOwner` / `NameHasOwner` a second, each well under a millisecond in-process.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping

from tray.desktop.app import TrayApp, log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HOST_POLL_S = 1.0
PANEL_LOOK_AFTER_S = 1.0
SNI_LOOK_AFTER_S = 0.25  # a StatusNotifierItem host without pixels to read (Wayland): its theme's name at once
SNI_HAND_OVER_S = (0.5, 1.0, 1.5)  # then the picture again after these gaps (icon back within 5 s, SPEC §5)


def prepare(app: TrayApp, pystray: Any, env: Mapping[str, str]) -> Any:
    """Before the icon exists: the notifier; on xorg, the icon class to use instead of pystray's (or None)."""
    if not sys.platform.startswith("linux"):
        return None
    from tray.desktop.notices import DbusNotifier

    runtime = env.get("XDG_RUNTIME_DIR") or os.path.dirname(str(app.cache_file))
    app.notifier = DbusNotifier(dict(env), icon_path=os.path.join(runtime, f"claude-tray-note-{os.getpid()}.png"))
    if pystray.Icon.__module__.endswith("_gtk"):
        from tray.desktop.gtkicon import Icon as GtkIcon

        return GtkIcon
    if not pystray.Icon.__module__.endswith("_xorg"):
        return None
    from tray.desktop.xorgicon import Icon

    app.opaque = False  # this Icon puts the ring on the panel's own colour itself
    Icon.panel_rgb = _panel_rgb(app, env)
    Icon.menu_opener = staticmethod(lambda x, y: open_menu_window(app, x, y))
    return Icon


def _panel_rgb(app: TrayApp, env: Mapping[str, str]) -> tuple[int, int, int]:
    from tray.desktop.app import XORG_BACKGROUND
    from tray.desktop.theme import panel_colour

    return panel_colour(env) or XORG_BACKGROUND[app.theme]


def menu_entries(app: TrayApp) -> list[tuple[str, Any]]:
    """The menu as (label, action) pairs for a backend without menus of its own (xorg); action None: a line."""
    view = app.view
    lines = [*view.lines, view.status_line] if view else ["Reading…"]
    entries: list[tuple[str, Any]] = [(line, None) for line in lines]
    entries += [("-", None), ("Refresh now", app.on_refresh), ("Open claude.ai usage settings", app.on_open_settings),
                ("Show debug error", app.on_debug), ("-", None), ("Quit", app.quit)]
    return entries


def open_menu_window(app: TrayApp, x: int, y: int) -> None:
    """Right-click on xorg: the menu as a small window at the pointer (its own process, Tk), then the action."""
    from tray.desktop.edges import show_menu_window

    entries = menu_entries(app)
    chosen = show_menu_window([label for label, _ in entries], [action is not None for _, action in entries],
                              x, y, theme=app.theme)
    if chosen is not None and 0 <= chosen < len(entries) and entries[chosen][1] is not None:
        entries[chosen][1]()


def start(app: TrayApp, icon: Any, env: Mapping[str, str], backend: str) -> None:
    if not sys.platform.startswith("linux") or backend in ("dummy",):
        return
    threading.Thread(target=_watch_host, args=(app, icon, env, backend), name="host", daemon=True).start()
    if env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        threading.Thread(target=_watch_xembed_managers, args=(app, env), name="panel", daemon=True).start()
    if backend == "appindicator":
        _watch_sni_watcher(app, env)


def _watch_sni_watcher(app: TrayApp, env: Mapping[str, str]) -> None:
    """A StatusNotifierItem host (re)started: NameOwnerChanged of org.kde.StatusNotifierWatcher, delivered by
    the GTK main loop pystray runs. libayatana-appindicator registers again by itself (measured on
    xfce4-panel and waybar); here the panel's theme is taken again and the picture handed over once more."""
    try:
        from gi.repository import Gio
    except ImportError:
        return
    from tray.desktop.hosts import SNI_WATCHER

    def changed(_conn: Any, _sender: Any, _path: Any, _iface: Any, _signal: Any, params: Any) -> None:
        name, _old, new = params.unpack()
        if name == SNI_WATCHER and new and not app.stopping.is_set():
            log.info("a StatusNotifierItem host started; showing the icon there")
            threading.Thread(target=_after_new_host, args=(app, env), daemon=True).start()

    try:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        bus.signal_subscribe("org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                             "/org/freedesktop/DBus", SNI_WATCHER, Gio.DBusSignalFlags.NONE, changed)
        _keep.append(bus)
    except Exception as error:  # GLib.Error: no session bus; the host thread says what is missing
        log.debug("no watch on %s: %s", SNI_WATCHER, error)


_keep: list[Any] = []


def _after_new_host(app: TrayApp, env: Mapping[str, str]) -> None:
    # On X11 (xfce4-panel) the panel's pixels name the theme: look once it is drawn. Elsewhere (Wayland) only
    # the theme's name is read, so at once.
    pixels = bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")
    if app.stopping.wait(PANEL_LOOK_AFTER_S if pixels else SNI_LOOK_AFTER_S):
        return
    retheme(app, env)
    # A host still setting up its item can miss a NewIcon: waybar 0.9 reads the properties (GetAll) when it
    # makes the item's proxy and listens for signals only once that is ready, so a NewIcon in between is
    # lost and the path it read is the picture pystray has just deleted (a blank or "missing" icon on a busy
    # machine, until the next change). So the picture goes once more at a few moments, each far enough from
    # the last for the host's read to have ended. Once per host start: no cost worth counting.
    for gap in SNI_HAND_OVER_S:
        if app.stopping.wait(gap):
            return
        app.repaint()


def _watch_xembed_managers(app: TrayApp, env: Mapping[str, str]) -> None:
    """A panel (re)started on X11 announces its tray with a MANAGER message to the root window: then take its
    colour again. Blocks on the X connection, so it costs nothing while nothing happens."""
    try:
        from Xlib import X, display

        conn = display.Display(env["DISPLAY"])
        manager, selection = conn.intern_atom("MANAGER"), conn.intern_atom("_NET_SYSTEM_TRAY_S0")
        conn.screen().root.change_attributes(event_mask=X.StructureNotifyMask)
        conn.flush()
        while not app.stopping.is_set():
            event = conn.next_event()
            if event.type == X.ClientMessage and event.client_type == manager and event.data[1][1] == selection:
                log.info("a tray host started; showing the icon there")
                if app.stopping.wait(PANEL_LOOK_AFTER_S):
                    return
                retheme(app, env)
    except Exception as error:  # the display went away (logout): nothing left to watch
        log.debug("panel watch ended: %s", error)


def _watch_host(app: TrayApp, icon: Any, env: Mapping[str, str], backend: str) -> None:
    from tray.desktop.hosts import check_host, no_host_message

    found = check_host(env, backend)
    if found.present:
        if not app.stopping.wait(PANEL_LOOK_AFTER_S):  # once docked, the panel around the icon tells its colour
            retheme(app, env)
        return
    message = no_host_message(found)
    log.warning("%s", message)
    app.notify(message, "Claude usage: no tray to show the icon in")
    while not app.stopping.wait(HOST_POLL_S):
        found = check_host(env, backend)
        if found.present:
            log.info("%s; showing the icon", found.title)
            app.resend_image(lambda: True)
            if not app.stopping.wait(PANEL_LOOK_AFTER_S):
                retheme(app, env)
            return


def retheme(app: TrayApp, env: Mapping[str, str]) -> None:
    """Take the panel's theme again (a panel that appeared late): redraw when it changed."""
    from tray.desktop.theme import detect_theme

    theme = detect_theme(env, setting=getattr(app, "theme_setting", None))
    icon = app.icon
    if icon is not None and hasattr(type(icon), "panel_rgb"):  # xorg: the ring sits on the panel's colour
        type(icon).panel_rgb = _panel_rgb(app, env)
    if theme != app.theme or icon is not None:
        log.info("panel theme: %s", theme)
        app.theme = theme
        app.repaint()


def watch_cache(app: TrayApp) -> Any:
    """An inotify watch on the cache (and the share inbox, when sharing is on), or None: then poll."""
    from tray.desktop import watch

    found = watch.start(str(app.cache_file), app.stopping)
    app.watch = found  # a redraw with nothing seen by it reuses the last read (TrayApp._as_last_read)
    if found is not None:
        _watch_share(app, found)
    return found


def follow(app: TrayApp, found: Any) -> None:
    """A watched file changed: what the few-second stat() would have done, now; then keep the share watched."""
    try:
        app.follow_cache()
        _watch_share(app, found)
    except Exception:  # a bug here must not end the tray
        log.exception("following the cache failed")


def _watch_share(app: TrayApp, found: Any) -> None:
    try:
        from tray.share.setting import share_dir_of

        folder = share_dir_of(app.env, app.cache_state())  # as just read by the redraw, when unchanged
    except Exception as error:  # no share, or a cache it cannot read yet
        log.debug("share folder not watched: %s", error)
        return
    if folder:
        found.watch(folder, frozenset({"claude-tray"}))  # the inbox appearing
        found.watch(os.path.join(folder, "claude-tray"))  # a snapshot landing in it
