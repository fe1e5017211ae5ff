"""One known, harmless GTK assertion kept off stderr: `gdk_window_thaw_toplevel_updates: assertion
'window->update_and_descendants_freeze_count > 0' failed`.

Cause (measured on Xvfb with trayer): libayatana-appindicator, when no StatusNotifierItem host is on the bus,
falls back to a GtkStatusIcon of its own in the XEmbed tray, and GTK 3 thaws that icon's toplevel once more
than it froze it while the tray embeds it. A bare AyatanaAppIndicator3 indicator with no icon, menu or title
prints it too, and pystray's gtk backend (its own GtkStatusIcon) does not, so it is neither ours nor
pystray's; the icon and its menu work. The appindicator backend stays the choice even then, because it moves
to a StatusNotifierItem panel that starts later by itself (a login where the tray is up before the panel).
Every other message of every domain still goes to GLib's default handler.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HARMLESS = "gdk_window_thaw_toplevel_updates: assertion 'window->update_and_descendants_freeze_count > 0' failed"


def quiet_known_gdk_assertion() -> bool:
    """Install the filter for the Gdk domain's criticals; False when GLib cannot be loaded (no PyGObject)."""
    try:
        from gi.repository import GLib
    except ImportError:
        return False

    def handler(domain: str | None, level: Any, message: str | None, _data: Any = None) -> None:
        if message == HARMLESS:
            return
        GLib.log_default_handler(domain, level, message, None)

    GLib.log_set_handler("Gdk", GLib.LogLevelFlags.LEVEL_CRITICAL, handler, None)
    return True
