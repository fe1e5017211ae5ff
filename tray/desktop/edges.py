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
    from pathlib import Path  # never at run time: the running tray keeps pathlib out of its memory (issue 6)
    from typing import IO

USAGE_SETTINGS_URL = "https://claude.ai/settings/usage"


def open_url(url: str) -> bool:
    """Open `url` in the browser; on Linux through xdg-open, waited for (a thread calls this), so no defunct
    child stays behind — webbrowser's background launch never reaps it (issue 14)."""
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


def show_text_window(title: str, text: str) -> bool:
    """A small window with readable, copyable text (Tk, in its own process so toolkits never mix)."""
    try:
        child = subprocess.Popen(
            self_command("_debug-view", title), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        assert child.stdin is not None
        child.stdin.write(text.encode("utf-8"))
        child.stdin.close()
        return child.wait(timeout=1.0) == 0  # still open after a second: it is showing
    except subprocess.TimeoutExpired:
        return True
    except OSError:
        return False


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


def debug_view_main(title: str, stdin: IO[str]) -> int:
    """`claude-tray _debug-view TITLE`: the window itself (exit 3 when Tk cannot show one)."""
    text = stdin.read()
    try:
        import tkinter as tk
        from tkinter import scrolledtext

        root = tk.Tk()
    except Exception:  # no Tk, or no display for it: the caller falls back
        return 3
    root.title(title)
    box = scrolledtext.ScrolledText(root, width=88, height=20, wrap="word")
    box.insert("1.0", text)
    box.configure(state="disabled")  # read-only, still selectable and copyable
    box.pack(fill="both", expand=True, padx=8, pady=(8, 4))

    def copy() -> None:
        root.clipboard_clear()
        root.clipboard_append(text)

    bar = tk.Frame(root)
    tk.Button(bar, text="Copy", command=copy).pack(side="left")
    tk.Button(bar, text="Close", command=root.destroy).pack(side="right")
    bar.pack(fill="x", padx=8, pady=(0, 8))
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
    """One tray per cache: an exclusive lock held for the process's life (released by the OS on exit)."""

    def __init__(self, cache_file: Path | str) -> None:
        from tray.store.paths import tray_lock_path_str

        self.path = tray_lock_path_str(cache_file)
        self._handle: IO[bytes] | None = None

    def acquire(self) -> bool:
        # Like Path.mkdir(parents=True): only the innermost new folder gets 0700 (after the umask).
        os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
        from tray.store.lock import open_lock_file  # never through a planted link (SPEC §8)

        handle = os.fdopen(open_lock_file(self.path), "r+b")  # held until the process ends
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
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
