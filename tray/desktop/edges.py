"""Thin edges to the desktop: open a URL, show text in a window, the single-instance lock, signals.

Each function is dull on purpose and returns whether it worked, so the app can fall back.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # never at run time: the running tray keeps pathlib out of its memory (~0.8 MB of RSS)
    from typing import IO, Any

USAGE_SETTINGS_URL = "https://claude.ai/settings/usage"


def open_url(url: str) -> bool:
    """Open `url` in the browser; on Linux through xdg-open, waited for (a thread calls this), so no defunct
    child stays behind — webbrowser's background launch never reaps it."""
    if sys.platform.startswith("linux"):
        from tray.desktop.theme import _which

        opener = _which("xdg-open", os.environ.get("PATH"))
        if opener is not None:
            try:
                child = subprocess.Popen([opener, url], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            except OSError:
                return False
            try:
                return child.wait(timeout=60) == 0
            except subprocess.TimeoutExpired:  # a browser that xdg-open runs in the foreground: reap it later
                threading.Thread(target=child.wait, daemon=True).start()
                return True
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def self_command(*args: str) -> list[str]:
    """How to run this program again: the frozen binary, or this interpreter with `-m tray`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *args]
    return [sys.executable, "-m", "tray", *args]


_viewer: subprocess.Popen[bytes] | None = None  # the one debug window's process, while it runs
VIEWER_RAISE = signal.SIGUSR1 if hasattr(signal, "SIGUSR1") else None


def show_text_window(title: str, text: str, theme: str = "light") -> bool:
    """A small window with readable, copyable text (Tk, in its own process so toolkits never mix).

    One window only: while it runs, a second call hands it the new text (on stdin's successor, a private
    file) and raises it instead of opening another (each click used to open one more)."""
    global _viewer
    if _viewer is not None and _viewer.poll() is None and VIEWER_RAISE is not None:
        try:
            _write_private(_viewer_text_path(_viewer.pid), text)
            os.kill(_viewer.pid, VIEWER_RAISE)
            return True
        except OSError:
            pass
    try:
        child = subprocess.Popen(
            self_command("_debug-view", title, theme), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        assert child.stdin is not None
        child.stdin.write(text.encode("utf-8"))
        child.stdin.close()
        _viewer = child
        return child.wait(timeout=1.0) == 0  # still open after a second: it is showing
    except subprocess.TimeoutExpired:
        return True
    except OSError:
        return False


def _viewer_text_path(pid: int) -> str:
    folder = os.environ.get("XDG_RUNTIME_DIR") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(folder, f"claude-tray-debug-{pid}.txt")


def _write_private(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def show_text_in_viewer(text: str) -> bool:
    """Fallback: the system's text viewer on a private temporary file."""
    import tempfile  # lazily: it pulls in shutil, bz2 and lzma

    path = os.path.join(tempfile.mkdtemp(prefix="claude-tray-"), "debug-error.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)
    if sys.platform == "win32":
        try:
            os.startfile(path)
            return True
        except OSError:
            return False
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    try:
        subprocess.Popen([opener, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
        return True
    except OSError:
        return False


VIEW_COLOURS = {"dark": ("#242424", "#e8e8e8", "#3a3a3a"), "light": ("#fafafa", "#161616", "#e4e4e4")}
CLIPBOARD_TOOLS = (("wl-copy",), ("xclip", "-selection", "clipboard"), ("xsel", "--clipboard", "--input"))
KEEP_CLIPBOARD_S = 12 * 3600


def hand_to_clipboard_tool(text: str, env: dict[str, str] | None = None) -> bool:
    """Give `text` to a clipboard program that outlives us (wl-copy on Wayland, else xclip or xsel)."""
    from tray.desktop.theme import _which

    environ = env if env is not None else dict(os.environ)
    for argv in CLIPBOARD_TOOLS:
        if argv[0] == "wl-copy" and not environ.get("WAYLAND_DISPLAY"):
            continue
        tool = _which(argv[0], environ.get("PATH"))
        if tool is None:
            continue
        try:
            done = subprocess.run([tool, *argv[1:]], input=text.encode("utf-8"), timeout=5, check=False,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return True
    return False


_x_connection: list[Any] = []  # the viewer's one X connection for asking who owns CLIPBOARD


def _clipboard_owner() -> int | None:
    """The X window owning CLIPBOARD now (python-xlib), None when it cannot be asked (no X, Wayland)."""
    try:
        from Xlib import X, display

        if not _x_connection:
            _x_connection.append(display.Display())
        conn = _x_connection[0]
        owner = conn.get_selection_owner(conn.intern_atom("CLIPBOARD"))
        return 0 if owner == X.NONE else int(owner.id)
    except Exception:
        return None


def debug_view_main(title: str, stdin: IO[str], theme: str = "light") -> int:
    """`claude-tray _debug-view TITLE [THEME]`: the window itself (exit 3 when Tk cannot show one).

    Sized to its text, coloured for the desktop's theme. Copy survives the window: the text goes to a
    clipboard program when one is installed (wl-copy, xclip, xsel); otherwise this process owns the
    clipboard, so after Close it stays, windowless, until another program takes the clipboard over (or
    12 hours pass). SIGUSR1 (the tray asking again) reads the new text and raises the window.
    """
    text = stdin.read()
    try:
        import tkinter as tk
        from tkinter import scrolledtext

        root = tk.Tk()
    except Exception:  # no Tk, or no display for it: the caller falls back
        return 3
    bg, fg, button = VIEW_COLOURS.get(theme, VIEW_COLOURS["light"])
    root.title(title)
    root.configure(background=bg)
    lines = text.splitlines() or [""]
    width = min(100, max(40, max(len(line) for line in lines) + 2))
    height = min(30, max(4, sum(1 + len(line) // width for line in lines)))
    box = scrolledtext.ScrolledText(root, width=width, height=height, wrap="word", background=bg, foreground=fg,
                                    insertbackground=fg, selectbackground="#3d7ad6", relief="flat",
                                    highlightthickness=0, borderwidth=0)

    def show(content: str) -> None:
        box.configure(state="normal")
        box.delete("1.0", "end")
        box.insert("1.0", content)
        box.configure(state="disabled")  # read-only, still selectable and copyable

    show(text)
    box.pack(fill="both", expand=True, padx=8, pady=(8, 4))
    state: dict[str, Any] = {"text": text, "owned": False, "closed": False, "raise": False, "since": 0.0}

    def copy() -> None:
        if hand_to_clipboard_tool(state["text"]):
            state["owned"] = False
            return
        root.clipboard_clear()
        root.clipboard_append(state["text"])
        root.update()
        state["owned"] = True
        state["owner"] = _clipboard_owner()  # Tk's own clipboard window: `selection own` does not name it

    def close() -> None:
        import time

        if not state["owned"]:
            root.destroy()
            return
        root.withdraw()  # the clipboard is ours: stay, windowless, until another program takes it
        state["closed"], state["since"] = True, time.monotonic()

    def still_ours() -> bool:
        owner = state.get("owner")
        return owner is not None and _clipboard_owner() == owner

    def tick() -> None:
        import time

        if state["raise"]:
            state["raise"] = False
            try:
                with open(_viewer_text_path(os.getpid()), encoding="utf-8") as f:
                    state["text"] = f.read()
                os.unlink(_viewer_text_path(os.getpid()))
            except OSError:
                pass
            show(state["text"])
            state["closed"] = False
            root.deiconify()
            root.lift()
            root.focus_force()
        elif state["closed"] and (time.monotonic() - state["since"] > KEEP_CLIPBOARD_S or not still_ours()):
            root.destroy()
            return
        root.after(250, tick)

    if VIEWER_RAISE is not None:
        signal.signal(VIEWER_RAISE, lambda *_: state.__setitem__("raise", True))
    bar = tk.Frame(root, background=bg)
    for label, action in (("Copy", copy), ("Close", close)):
        tk.Button(bar, text=label, command=action, background=button, foreground=fg, activebackground=button,
                  activeforeground=fg, relief="flat", highlightthickness=0,
                  padx=10).pack(side="left" if label == "Copy" else "right")
    bar.pack(fill="x", padx=8, pady=(0, 8))
    root.protocol("WM_DELETE_WINDOW", close)
    root.after(250, tick)
    root.mainloop()
    return 0


def show_menu_window(labels: list[str], enabled: list[bool], x: int, y: int, theme: str = "light") -> int | None:
    """A popup menu at (x, y) in a process of its own (Tk); the index chosen, or None when dismissed."""
    try:
        child = subprocess.run(
            self_command("_menu", str(x), str(y), theme), input="\n".join(
                ("" if on else "\x00") + label for label, on in zip(labels, enabled)),
            capture_output=True, text=True, timeout=300, start_new_session=True, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    answer = child.stdout.strip()
    return int(answer) if answer.isdigit() else None


def menu_main(argv: list[str], stdin: IO[str], stdout: IO[str]) -> int:
    """`claude-tray _menu X Y THEME`: a Tk popup menu; prints the chosen line's index (exit 3 without Tk)."""
    x, y = (int(v) for v in argv[:2])
    theme = argv[2] if len(argv) > 2 else "light"
    lines = stdin.read().split("\n")
    try:
        import tkinter as tk

        root = tk.Tk()
    except Exception:
        return 3
    root.withdraw()
    bg, fg = ("#2b2b2b", "#eeeeee") if theme == "dark" else ("#f5f5f5", "#111111")
    menu = tk.Menu(root, tearoff=0, background=bg, foreground=fg, activebackground="#3d7ad6",
                   activeforeground="#ffffff", disabledforeground="#888888" if theme == "dark" else "#666666")
    for index, line in enumerate(lines):
        label = line.lstrip("\x00")
        if label == "-":
            menu.add_separator()
        else:
            def choose(i: int = index) -> None:
                stdout.write(f"{i}\n")
                stdout.flush()
                root.destroy()
            menu.add_command(label=label, command=choose, state="disabled" if line.startswith("\x00") else "normal")
    menu.bind("<Unmap>", lambda _e: root.after(50, root.destroy))
    root.after(0, lambda: menu.tk_popup(x, y))
    root.mainloop()
    return 0


class InstanceLock:
    """One tray per cache: the writers' lock (tray.store.lock) on a file of its own, taken without waiting and
    held for the process's life (the OS releases it when the process ends)."""

    def __init__(self, cache_file: Path | str) -> None:
        from tray.store.paths import tray_lock_path_str

        self.path = tray_lock_path_str(cache_file)
        self._held: Any = None  # the FileLock, once taken

    def acquire(self) -> bool:
        # Like Path.mkdir(parents=True): only the innermost new folder gets 0700 (after the umask).
        os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
        from tray.errors import CacheError
        from tray.store.lock import FileLock  # opened never through a planted link (SPEC §8)

        lock = FileLock(self.path, timeout=0.0)
        try:
            lock.acquire()
        except CacheError:  # another tray holds it
            return False
        self._held = lock
        return True


def on_termination(callback: Callable[[], None]) -> None:
    """Call `callback` (on a helper thread) at SIGTERM or SIGINT, even while a C main loop holds the main thread.

    Python runs signal handlers only when the main thread executes bytecode. PyGObject's main loop wakes
    Python for them; other loops (xorg's blocking read) may not, but the C-level handler always writes to
    the wakeup fd at once, so a thread also waits on that. Must be called from the main thread.
    """
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    _keep_alive.append((reader, writer))  # a collected socket would close, and EOF would look like a signal
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def fire() -> None:
        threading.Thread(target=callback, name="quit", daemon=True).start()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: fire())

    def wait() -> None:
        try:
            if reader.recv(1):
                fire()
        except OSError:
            return

    threading.Thread(target=wait, name="signals", daemon=True).start()


_keep_alive: list[tuple[socket.socket, socket.socket]] = []
