"""Is there anything to show the icon in? A StatusNotifierItem host on the session bus, or an XEmbed tray.

Two kinds of tray host exist on Linux (TRAY-TESTING.md): StatusNotifierItem panels (KDE, XFCE's
status-notifier plugin, waybar, GNOME with the AppIndicator extension) own the bus name
`org.kde.StatusNotifierWatcher`; XEmbed trays (trayer, lxpanel, XFCE's systray, stalonetray) own the X
selection `_NET_SYSTEM_TRAY_S0`. Which kinds can show the icon depends on the pystray backend:
appindicator uses either (it falls back to XEmbed), gtk and xorg only XEmbed.

Asked cheaply: one `NameHasOwner` call (Gio when PyGObject is loaded, else `dbus-send`) and one
`GetSelectionOwner` request on an X connection opened for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from tray.base.values import record

SNI_WATCHER = "org.kde.StatusNotifierWatcher"
XEMBED_SELECTION = "_NET_SYSTEM_TRAY_S0"
SNI_BACKENDS = ("appindicator",)
XEMBED_BACKENDS = ("appindicator", "gtk", "xorg")

NO_HOST = ("No tray host is running, so the icon cannot show: {why}. Start a panel with a system tray "
           "(or, on GNOME, install the AppIndicator and KStatusNotifierItem Support extension); the icon "
           "appears as soon as one runs.")


@record
class HostCheck:
    present: bool
    title: str  # one sentence: what was found
    fix: str  # what to do when nothing was found ("" when present)


def sni_watcher_present(env: Mapping[str, str]) -> bool | None:
    """Whether a StatusNotifierWatcher owns its name on the session bus; None when there is no bus to ask."""
    if not env.get("DBUS_SESSION_BUS_ADDRESS") and not env.get("XDG_RUNTIME_DIR"):
        return None
    if "gi.repository.Gio" in sys.modules:
        try:
            from gi.repository import Gio, GLib

            bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
            reply = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                  "NameHasOwner", GLib.Variant("(s)", (SNI_WATCHER,)), GLib.VariantType("(b)"),
                                  Gio.DBusCallFlags.NONE, 2000, None)
            return bool(reply.unpack()[0])
        except Exception:  # GLib.Error: no bus
            return None
    from tray.desktop.theme import _which

    tool = _which("dbus-send", env.get("PATH"))
    if tool is None:
        return None
    try:
        done = subprocess.run([tool, "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                               "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{SNI_WATCHER}"],
                              env=dict(env), capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return "boolean true" in done.stdout


def xembed_tray_present(env: Mapping[str, str]) -> bool | None:
    """Whether an XEmbed system tray owns `_NET_SYSTEM_TRAY_S0`; None without an X display."""
    name = env.get("DISPLAY")
    if not name:
        return None
    try:
        from Xlib import X, display
    except ImportError:
        return None
    try:
        conn = display.Display(name)
    except Exception:  # DisplayNameError, ConnectionClosedError: no X server there
        return None
    try:
        owner = conn.get_selection_owner(conn.intern_atom(XEMBED_SELECTION))
        return owner != X.NONE
    finally:
        conn.close()


def check_host(env: Mapping[str, str], backend: str) -> HostCheck:
    """Whether a tray host for `backend` runs now, as one sentence and its fix."""
    sni = sni_watcher_present(env) if backend in SNI_BACKENDS else None
    xembed = xembed_tray_present(env) if backend in XEMBED_BACKENDS else None
    if sni:
        return HostCheck(True, f"Tray host: a StatusNotifierItem host ({SNI_WATCHER} on the session bus)", "")
    if xembed:
        return HostCheck(True, f"Tray host: an XEmbed system tray (owner of {XEMBED_SELECTION})", "")
    looked = []
    if backend in SNI_BACKENDS:
        looked.append(f"no {SNI_WATCHER} on the session bus" if sni is False else "no session bus to ask")
    if backend in XEMBED_BACKENDS:
        looked.append(f"no owner of {XEMBED_SELECTION}" if xembed is False else "no X display to ask")
    why = " and ".join(looked) or f"the {backend} backend has no tray host to look for"
    fix = ("Start a panel with a system tray (XFCE's Status Notifier or Notification Area plugin, lxpanel, "
           "trayer, waybar's tray module; GNOME: the AppIndicator extension); the icon appears as soon as one runs.")
    if backend in ("gtk", "xorg") and os.environ.get("WAYLAND_DISPLAY") and sni is None:
        fix += " On Wayland install Ayatana AppIndicator (gir1.2-ayatanaappindicator3-0.1) for StatusNotifierItem."
    return HostCheck(False, f"No tray host: {why}", fix)


def no_host_message(check: HostCheck) -> str:
    return NO_HOST.format(why=check.title.removeprefix("No tray host: "))
