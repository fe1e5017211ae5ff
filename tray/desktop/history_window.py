"""The menu's **Show usage history…** (SPEC §11): the history chart in a window of its own process.

The tray only starts `claude-tray history --window-view` (`open_history_window`): matplotlib and Tk load in that
process, never in the tray's, so the tray's memory does not grow. There is one window per cache: the process
holds a lock beside the cache while it shows, and a second start asks the first (SIGUSR1) to draw the chart
afresh and come to the front, then exits. Without Tk or a display for it, the chart goes to the system's image
viewer (xdg-open, open, or the Windows shell) instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

TITLE = "claude-tray: usage history"
LOCK_SUFFIX = ".history-window.lock"  # beside the cache: one window per cache
NO_WINDOW = 3  # exit code: neither a window nor a viewer could show the chart


def open_history_window(env: Mapping[str, str]) -> subprocess.Popen[bytes] | None:
    """Start the window's process (it raises an open one instead of opening a second); never waits for it."""
    from tray.desktop.edges import self_command

    try:
        child = subprocess.Popen(self_command("history", "--window-view"), env=dict(env), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return None
    threading.Thread(target=child.wait, name="history-window", daemon=True).start()  # reaped when it closes
    return child


def window_main(env: Mapping[str, str], *, theme: str | None = None, scale: float | None = None,
                days: float = 7) -> int:
    """`claude-tray history --window-view`: show the chart until the window is closed."""
    from tray.show.history_chart import ChartError

    lock = _take_lock(env)
    if lock is None:
        return 0  # one is open: it was asked to come to the front
    if hasattr(signal, "SIGUSR1"):  # at once: the next start may ask while the chart is still being drawn
        signal.signal(signal.SIGUSR1, lambda *_: _wanted.set())
    try:
        try:
            import tkinter as tk

            root = tk.Tk()
        except Exception:  # no Tk, or no display for it
            return _in_viewer(env, theme=theme, scale=scale, days=days)
        return _show(root, env, theme=theme, scale=scale, days=days)
    except ChartError as error:  # no matplotlib (the one-file executable): said, and nothing to show
        print(f"claude-tray: {error}", file=sys.stderr)
        return NO_WINDOW


def _show(root: Any, env: Mapping[str, str], *, theme: str | None, scale: float | None, days: float) -> int:
    import tkinter as tk

    from tray.show.history_chart import THEMES

    if scale is None:  # 2× on a HiDPI screen (Tk knows the screen's pixels per inch)
        scale = 2.0 if root.winfo_fpixels("1i") >= 144 else 1.0
    chosen = theme or _theme(env)
    colours = THEMES[chosen]
    root.title(TITLE)
    root.configure(background=colours["bg"])
    label = tk.Label(root, background=colours["bg"], borderwidth=0, highlightthickness=0)
    label.pack(fill="both", expand=True)
    wanted = _wanted

    def draw() -> None:
        picture = tk.PhotoImage(data=_chart_png(env, theme=chosen, scale=scale, days=days), format="png")
        label.configure(image=picture)
        label.image = picture  # type: ignore[attr-defined]  # Tk drops an image Python no longer holds

    def come_forward() -> None:
        root.deiconify()
        root.lift()
        root.attributes("-topmost", True)
        root.after(300, lambda: root.attributes("-topmost", False))
        root.focus_force()

    def poll() -> None:
        if wanted.is_set():
            wanted.clear()
            draw()
            come_forward()
        root.after(200, poll)

    wanted.clear()
    draw()
    width, height = label.image.width(), label.image.height()  # type: ignore[attr-defined]
    # In the middle of the screen: not over the panel (without a window manager it would open at 0, 0).
    x, y = max(0, (root.winfo_screenwidth() - width) // 2), max(0, (root.winfo_screenheight() - height) // 2)
    root.geometry(f"{width}x{height}+{x}+{y}")
    root.bind("<Escape>", lambda _: root.destroy())
    root.bind("<Control-w>", lambda _: root.destroy())
    root.protocol("WM_DELETE_WINDOW", root.destroy)
    root.resizable(False, False)
    root.after(200, poll)
    come_forward()
    root.mainloop()
    return 0


def _chart_png(env: Mapping[str, str], *, theme: str, scale: float, days: float) -> bytes:
    import base64
    import io
    from datetime import datetime, timezone

    from tray.show.history_chart import draw
    from tray.store import cache
    from tray.store.paths import cache_path_str
    from tray.store.settings import settings_of

    state = cache.read_state(cache_path_str(env))
    out = io.BytesIO()
    draw(state.history, out, now=datetime.now(timezone.utc), days=days, theme=theme, scale=scale,
         thresholds=settings_of(state).notify or (100,))
    return base64.b64encode(out.getvalue())


def _theme(env: Mapping[str, str]) -> str:
    from tray.desktop.theme import detect_theme

    return detect_theme(env)


def _in_viewer(env: Mapping[str, str], *, theme: str | None, scale: float | None, days: float) -> int:
    """The chart as a private PNG file, opened by the system's image viewer."""
    import base64
    import tempfile

    path = os.path.join(tempfile.mkdtemp(prefix="claude-tray-"), "usage-history.png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(_chart_png(env, theme=theme or _theme(env), scale=scale or 1.0, days=days)))
    os.chmod(path, 0o600)
    if sys.platform == "win32":
        try:
            os.startfile(path)
            return 0
        except OSError:
            return NO_WINDOW
    try:
        subprocess.Popen(["open" if sys.platform == "darwin" else "xdg-open", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return NO_WINDOW
    return 0


_held: list[IO[bytes]] = []  # the lock's file, open while the window is
_wanted = threading.Event()  # another start asked for the window: draw afresh, come forward


def _take_lock(env: Mapping[str, str]) -> IO[bytes] | None:
    """Hold the window's lock (and write our pid into it); None when another process holds it, after asking it
    to come forward."""
    from tray.store.paths import cache_path_str

    path = cache_path_str(env) + LOCK_SUFFIX
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    handle = open(path, "a+b")  # noqa: SIM115 - held until the process ends
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        text = handle.read(32).decode("ascii", "replace").strip()
        handle.close()
        if text.isdigit() and hasattr(signal, "SIGUSR1"):
            try:
                os.kill(int(text), signal.SIGUSR1)
            except OSError:
                pass
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()).encode("ascii"))
    handle.flush()
    _held.append(handle)
    return handle
