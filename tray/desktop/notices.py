"""Desktop notifications that stay: each one its own, several due at once as one, "sent" only once delivered.

pystray's Linux notifier re-sends every `Notify` with the id of the previous one (`replaces_id`), so a
"5-hour limit at 80%" was replaced by "Updated just now" 7 ms later (measured under dunst). This calls the
freedesktop `org.freedesktop.Notifications.Notify` method itself with `replaces_id` 0: through Gio when
PyGObject is already loaded (the gtk and appindicator backends), else through `notify-send`
(libnotify-bin; `gdbus call` cannot pass the -1 timeout). Each says whether the daemon accepted
the notification, so the tray marks a threshold as announced only when someone could see it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

log = logging.getLogger("claude-tray")

APP_NAME = "claude-tray"
LOW, NORMAL, CRITICAL = 0, 1, 2  # the spec's urgency hint
DBUS_TIMEOUT_MS = 3000


def urgency_rank(threshold: int) -> int:
    """Most urgent first: the limit itself, then 90, 80, a pace warning (1), then "available again" (0)."""
    return threshold


def combine(notes: Sequence[Any]) -> tuple[str, str, int]:
    """One notification for several due at once: the most urgent one's title, every message, most urgent first.

    `notes` are `tray.show.notify.Notification`s (anything with title, message and threshold).
    """
    ordered = sorted(notes, key=lambda note: urgency_rank(note.threshold), reverse=True)
    first = ordered[0]
    if len(ordered) == 1:
        body = first.message
    else:
        body = "\n".join(f"{note.title}: {note.message}" if i else note.message for i, note in enumerate(ordered))
    urgency = CRITICAL if first.threshold >= 100 else NORMAL
    return first.title, body, urgency


class DbusNotifier:
    """Sends freedesktop notifications, each with `replaces_id` 0; `send` returns whether one was shown."""

    def __init__(self, env: dict[str, str] | None = None, icon_path: str | None = None) -> None:
        self.env = env
        self.icon_path = icon_path  # a PNG the tray keeps current (readable on light and dark bubbles)
        self._said_missing = False

    def send(self, title: str, message: str, urgency: int = NORMAL) -> bool:
        icon = self.icon_path if self.icon_path and os.path.exists(self.icon_path) else ""
        for way in (self._gio, self._notify_send):
            try:
                result = way(title, message, urgency, icon)
            except Exception as error:  # no daemon, no bus, no tool: try the next way, then give up
                log.debug("notification via %s failed: %s", way.__name__, error)
                result = False
            if result is not None:
                if not result and not self._said_missing:
                    log.info("notification not shown: no notification daemon answered on the session bus")
                    self._said_missing = True
                if result:
                    self._said_missing = False
                return result
        return False

    # Each way returns True (shown), False (the daemon or bus said no) or None (this way is not available).
    def _gio(self, title: str, message: str, urgency: int, icon: str) -> bool | None:
        if "gi.repository.Gio" not in sys.modules:  # never load PyGObject just for this (xorg backend)
            return None
        from gi.repository import Gio, GLib

        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        hints = {"urgency": GLib.Variant("y", urgency), "desktop-entry": GLib.Variant("s", APP_NAME)}
        if icon:
            hints["image-path"] = GLib.Variant("s", icon)
        reply = bus.call_sync(
            "org.freedesktop.Notifications", "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
            "Notify", GLib.Variant("(susssasa{sv}i)", (APP_NAME, 0, icon, title, message, [], hints, -1)),
            GLib.VariantType("(u)"), Gio.DBusCallFlags.NONE, DBUS_TIMEOUT_MS, None)
        return bool(reply.unpack()[0])

    def _notify_send(self, title: str, message: str, urgency: int, icon: str) -> bool | None:
        from tray.desktop.theme import _which

        tool = _which("notify-send", (self.env or os.environ).get("PATH"))
        if tool is None:
            return None
        argv = [tool, "--app-name", APP_NAME, "--urgency", ("low", "normal", "critical")[urgency]]
        if icon:
            argv += ["--icon", icon]
        done = subprocess.run([*argv, "--", title, message], capture_output=True, timeout=DBUS_TIMEOUT_MS / 1000 + 2,
                              env=self.env, check=False)
        return done.returncode == 0


def write_icon(path: str, ring: Any, size: int = 64) -> bool:
    """The ring for a notification bubble: the light-panel colours on a pale round plate of their own, so the
    track and the pace ticks read on a white bubble (xfce4-notifyd) and a dark one (dunst) alike."""
    from PIL import Image, ImageDraw

    from tray.show.render import render_ring

    scale = 4
    plate = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    ImageDraw.Draw(plate).ellipse((0, 0, size * scale - 1, size * scale - 1), fill=(250, 250, 250, 255),
                                  outline=(150, 150, 150, 255), width=scale * 2)
    plate = plate.resize((size, size), Image.Resampling.LANCZOS)
    inner = round(size * 0.84)
    ring_image = render_ring(ring, inner, theme="light")
    offset = (size - inner) // 2
    plate.alpha_composite(ring_image, (offset, offset))
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        plate.save(tmp, "PNG")
        os.replace(tmp, path)
    except OSError as error:
        log.debug("notification icon not written: %s", error)
        return False
    return True
