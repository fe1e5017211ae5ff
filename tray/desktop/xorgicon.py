"""pystray's xorg backend, made usable: a square ring on the panel's colour, clicks, a tooltip, fast re-docking.

Measured under trayer with pystray 0.19.5: the picture is stretched to the slot (24×30 at a
32 px bar), transparent pixels turn black, clicks never arrive (the window selects no ButtonPress, upstream
#151), a restarted tray host gets the icon back only at the next image update (43 s, 109 s, with an
"AssertionError / Failed to dock icon" traceback), and there is no tooltip.

Here: the window also selects ButtonPress and Enter/Leave; left-click runs the default item (Refresh now),
right-click opens the menu as a small window of its own (`menu_opener`); the root window's MANAGER
message (a new tray host owning `_NET_SYSTEM_TRAY_S0`, XEmbed spec) docks the icon again at once; the
ring is drawn square, centred, on the panel's own colour; hovering shows the title in a small tooltip.

One thread per X connection: pystray's own cross-thread calls (`visible`, `icon`, `title`, `stop`) send
their wake-up ClientMessage and flush on the loop's connection from the calling thread while the loop
waits on it for a reply. Measured under trayer: about one start in ten to twenty, python-xlib 0.33 then
leaves the loop asleep in `send_and_recv` for good (the icon never docks; under ten updates a second it
also froze a running tray). Here every call from another thread is queued for the loop and the wake-up
goes over a second connection of our own, used under a lock: only the loop's thread touches the loop's.
"""

from __future__ import annotations

import queue
import threading

import PIL.Image
import Xlib.display
import Xlib.error
import Xlib.X
from pystray import _xorg

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

EVENTS = (Xlib.X.ExposureMask | Xlib.X.StructureNotifyMask | Xlib.X.ButtonPressMask | Xlib.X.EnterWindowMask
          | Xlib.X.LeaveWindowMask)
TOOLTIP_DELAY_S = 0.5
LOOP_CALLS = ("_show", "_hide", "_update_icon", "_update_title", "_stop")  # pystray's, run on its loop
LOOP_CHECK_S = 1.0  # how often a caller waiting on the loop checks that the loop still runs


class _Call:
    """One function to run on the loop's thread, and what came of it."""

    __slots__ = ("done", "error", "fn", "result")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn, self.done = fn, threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as error:  # handed to the waiting caller, raised there
            self.error = error
        self.done.set()


class Icon(_xorg.Icon):
    panel_rgb: tuple[int, int, int] = (236, 236, 236)
    menu_opener: Callable[[int, int], Any] | None = None  # right-click at root (x, y)
    _icon_data: PIL.Image.Image | None  # pystray's: the picture as last drawn on the panel's colour

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tooltip: Any = None
        self._hover: threading.Timer | None = None
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._waker: Any = None  # our second X connection: only ever sends the loop its wake-up
        self._waker_lock = threading.Lock()
        self._call_atom = self._display.intern_atom("_CLAUDE_TRAY_CALL")
        for name in LOOP_CALLS:  # instead of pystray's dispatchers (see the module's docstring)
            setattr(self, name, self._on_loop_of(getattr(type(self), name).__get__(self)))
        self._manager_atom = self._display.intern_atom("MANAGER")
        self._window.change_attributes(event_mask=EVENTS)
        # A new tray host announces itself with a MANAGER client message to the root window's
        # StructureNotify listeners (freedesktop system tray spec): listen, and dock at once.
        self._display.screen().root.change_attributes(event_mask=Xlib.X.StructureNotifyMask)
        self._display.flush()
        original = self._message_handlers[Xlib.X.ClientMessage]

        def on_client_message(event: Any) -> None:
            if event.client_type == self._call_atom:
                self._run_calls()
            elif event.client_type == self._manager_atom and event.data[1][1] == self._net_system_tray_sx:
                self._redock()
            else:
                original(event)

        self._message_handlers[Xlib.X.ClientMessage] = on_client_message
        self._message_handlers[Xlib.X.EnterNotify] = self._on_enter
        self._message_handlers[Xlib.X.LeaveNotify] = self._on_leave

    # --- the loop's thread -----------------------------------------------------------------------
    def on_loop(self, fn: Callable[[], Any], *, wait: bool = True) -> Any:
        """`fn()` on the loop's thread (at once when called there), its result or its exception; with
        `wait=False` only queued. Before the loop runs, the main thread calls it at once (no loop yet)."""
        loop = getattr(self, "_thread", None)
        here = threading.current_thread()
        if loop is here or (loop is None and here is threading.main_thread() and not self._running):
            return fn()
        call = _Call(fn)
        self._calls.put(call)
        self._wake()
        if not wait:
            return None
        while not call.done.wait(LOOP_CHECK_S):
            loop = getattr(self, "_thread", None)
            if loop is not None and not loop.is_alive():
                raise RuntimeError("the tray icon's loop has ended")
        if call.error is not None:
            raise call.error
        return call.result

    def _on_loop_of(self, method: Callable[[], Any]) -> Callable[[], Any]:
        def on_loop() -> Any:
            return self.on_loop(method)
        on_loop.__name__ = method.__name__
        return on_loop

    def _wake(self) -> None:
        """A ClientMessage to our window over our own connection: X hands it to the window's creator, the loop."""
        with self._waker_lock:
            if self._waker is None:
                self._waker = Xlib.display.Display(self._display.get_display_name())
            waker = self._waker
            target = waker.create_resource_object("window", self._window.id)
            waker.send_event(target, Xlib.display.event.ClientMessage(
                type=Xlib.X.ClientMessage, client_type=self._call_atom, window=self._window.id,
                data=(32, (Xlib.X.CurrentTime, 0, 0, 0, 0))), event_mask=Xlib.X.NoEventMask)
            waker.flush()

    def _run_calls(self) -> None:
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                return
            call.run()

    # --- docking ---------------------------------------------------------------------------------
    def _redock(self) -> None:
        self._systray_manager = None
        try:
            self._dock_window()
        except Xlib.error.XError:
            return
        self._icon_data = None
        self._draw()

    def _show(self) -> None:
        self._dock_quietly()

    def _update_icon(self) -> None:
        self._dock_quietly()
        self._icon_data = None
        self._draw()
        self._icon_valid = True

    def _dock_quietly(self) -> None:
        """Dock if a tray host runs; without one, wait for its MANAGER message (no traceback in the log)."""
        if self._systray_manager is None:
            try:
                self._dock_window()
            except Xlib.error.XError:
                self._systray_manager = None

    def _on_destroy_notify(self, event: Any) -> None:
        manager = self._systray_manager
        if manager is None or event.window.id != manager.id:
            return
        self._systray_manager = None  # the host went away: its successor's MANAGER message docks us again
        self._dock_quietly()

    # --- the picture -----------------------------------------------------------------------------
    def _assert_icon_data(self, width: int, height: int) -> None:
        if self._icon_data and self._icon_data.size == (width, height):
            return
        if self._systray_manager is not None:
            sampled = self._panel_beside()
            if sampled is not None:
                self.panel_rgb = sampled
        side = max(1, min(width, height))
        picture = self._icon.convert("RGBA").resize((side, side), PIL.Image.Resampling.LANCZOS)
        data = PIL.Image.new("RGB", (width, height), tuple(self.panel_rgb))
        data.paste(picture, ((width - side) // 2, (height - side) // 2), mask=picture)
        data.tostring = data.tobytes  # type: ignore[attr-defined]  # pystray's python-xlib calls it
        self._icon_data = data

    def _panel_beside(self) -> tuple[int, int, int] | None:
        """The panel's colour just left and right of the docked icon (its commonest there), or None."""
        from tray.desktop.theme import most_common

        try:
            screen = self._display.screen()
            geom = self._window.get_geometry()
            pos = self._window.translate_coords(screen.root, 0, 0)
            x, y, w, h = -pos.x, -pos.y, geom.width, geom.height
            if x < 0 or y < 0 or y + h > screen.height_in_pixels:
                return None
            data = b""
            for left in (x - 3, x + w):
                if left >= 0 and left + 3 <= screen.width_in_pixels:
                    data += screen.root.get_image(left, y, 3, h, Xlib.X.ZPixmap, 0xFFFFFFFF).data
            return most_common(data, len(data) // 4) if data else None
        except Xlib.error.XError:
            return None

    # --- clicks and the tooltip ------------------------------------------------------------------
    def _on_button_press(self, event: Any) -> None:
        self._hide_tooltip()
        if event.detail == 1:
            threading.Thread(target=self, daemon=True).start()  # the default item: Refresh now
        elif event.detail == 3 and self.menu_opener is not None:
            opener = self.menu_opener
            threading.Thread(target=opener, args=(event.root_x, event.root_y), daemon=True).start()

    def _on_enter(self, event: Any) -> None:
        if self._hover is not None:
            self._hover.cancel()

        def show() -> None:  # on the loop, unless the pointer left meanwhile
            if self._hover is timer:
                self._show_tooltip()

        def ask() -> None:  # from the timer thread: the loop shows the tooltip (X calls stay on its thread)
            self.on_loop(show, wait=False)

        timer = self._hover = threading.Timer(TOOLTIP_DELAY_S, ask)
        timer.daemon = True
        timer.start()

    def _on_leave(self, event: Any) -> None:
        if self._hover is not None:
            self._hover.cancel()
            self._hover = None
        self._hide_tooltip()

    def _show_tooltip(self) -> None:
        """A small override-redirect window with the title below (or above) the icon, like GTK's."""
        self._hide_tooltip()
        text = (self.title or self.name).encode("latin-1", "replace")[:200]
        screen = self._display.screen()
        font = self._display.open_font("fixed")
        extents = font.query_text_extents(text)
        width, height = extents.overall_width + 10, extents.font_ascent + extents.font_descent + 8
        geom = self._window.get_geometry()
        pos = self._window.translate_coords(screen.root, 0, 0)
        x, y = max(0, min(-pos.x, screen.width_in_pixels - width)), -pos.y + geom.height + 4
        if y + height > screen.height_in_pixels:
            y = -pos.y - height - 4
        tip = screen.root.create_window(x, y, width, height, 1, screen.root_depth, override_redirect=True,
                                        background_pixel=0xFFFFE1, border_pixel=0x767676,
                                        event_mask=Xlib.X.ExposureMask)
        tip.set_wm_name(self.title or self.name)
        tip.set_wm_class("claude-tray-tooltip", "claude-tray")
        tip.map()
        gc = tip.create_gc(foreground=0x000000, background=0xFFFFE1, font=font)
        self._tooltip = (tip, gc, text, extents.font_ascent)
        tip.image_text(gc, 5, 4 + extents.font_ascent, text)
        self._display.flush()

    def _on_expose(self, event: Any) -> None:
        if self._tooltip is not None and event.window.id == self._tooltip[0].id:
            tip, gc, text, ascent = self._tooltip
            tip.image_text(gc, 5, 4 + ascent, text)
            return
        super()._on_expose(event)

    def _hide_tooltip(self) -> None:
        if self._tooltip is not None:
            try:
                self._tooltip[0].destroy()
                self._display.flush()
            except Xlib.error.XError:
                pass
            self._tooltip = None
