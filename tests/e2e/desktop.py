"""A throwaway X desktop for end-to-end tray tests: Xvfb, a D-Bus session, dunst and trayer.

Facts this relies on are measured on this kind of machine (see docs/DESIGN.md): trayer owns `_NET_SYSTEM_TRAY_S0` about
0.2 s after start, pystray names the icon window's WM_CLASS after the icon, and a tray process can hang,
so every child runs in its own process group under a deadline and is killed on the way out.
Synchronisation is always "poll a condition until a deadline", never a fixed sleep.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from PIL import Image
from Xlib import X, Xatom, display, error

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREEN = (640, 240)
TRAY_SELECTION = "_NET_SYSTEM_TRAY_S0"
# Flags from TRAY-TESTING.md: a 240×32 panel in the top-left corner that asks nothing of a window manager.
TRAY_WIDTH, TRAY_HEIGHT = 240, 32
TRAYER = ("trayer", "--edge", "top", "--align", "left", "--widthtype", "pixel", "--width", str(TRAY_WIDTH),
          "--heighttype", "pixel", "--height", str(TRAY_HEIGHT), "--SetDockType", "false",
          "--SetPartialStrut", "false")
TOOLS = ("Xvfb", "dbus-daemon", "dbus-send", "dunst", "trayer", "xdotool")
DUNSTRC = """\
[global]
    monitor = 0
    follow = none
    width = 260
    height = 80
    origin = bottom-right
    offset = 4x4
    font = Monospace 8
    format = "%s\\n%b"
[urgency_low]
    timeout = 3
[urgency_normal]
    timeout = 3
[urgency_critical]
    timeout = 3
"""

T = TypeVar("T")


@dataclass(frozen=True)
class Box:
    """A window's rectangle in root (screen) coordinates."""

    x: int
    y: int
    width: int
    height: int
    window: int = 0

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


def wait_until(predicate: Callable[[], T], deadline: float, what: str = "condition",
               interval: float = 0.01) -> T:
    """Poll `predicate` until it returns something truthy; give up `deadline` seconds from now."""
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise TimeoutError(f"{what} not reached within {deadline:g} s")
        time.sleep(interval)  # the poll interval, not a stand-in for synchronisation


def _kill_group(proc: subprocess.Popen[bytes], grace: float = 2.0) -> None:
    """SIGTERM the child's process group, then SIGKILL whatever is left after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; members it left behind (dbus-activated services, helpers) go too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return


def _prefix() -> list[str]:
    # pdeathsig: if the test process dies hard, the X server and the tray die with it instead of lingering.
    return ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []


def _read_line(fd: int, deadline: float, what: str) -> str:
    """Read one line a daemon writes to a pipe when it is ready (Xvfb -displayfd, dbus --print-address)."""
    end = time.monotonic() + deadline
    data = b""
    while not data.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError(f"{what} did not report ready within {deadline:g} s")
        chunk = os.read(fd, 256)
        if not chunk:
            raise RuntimeError(f"{what} exited before reporting ready")
        data += chunk
    return data.decode().strip()


def _walk(win: display.drawable.Window, depth: int = 0) -> list[tuple[display.drawable.Window, int]]:
    """Every window below `win` with its depth (1 = a top-level child of the root)."""
    try:
        children = win.query_tree().children
    except error.XError:  # destroyed while we looked
        return []
    found = []
    for child in children:
        found.append((child, depth + 1))
        found.extend(_walk(child, depth + 1))
    return found


def _on_screen(box: Box) -> bool:
    return box.x >= 0 and box.y >= 0 and box.x + box.width <= SCREEN[0] and box.y + box.height <= SCREEN[1]


class Screen:
    """Looking at and clicking on an X display that already runs (python-xlib + xdotool)."""

    def __init__(self, display_name: str, artifacts: Path = ARTIFACTS) -> None:
        self.artifacts = artifacts
        self.env: dict[str, str] = {"DISPLAY": display_name}
        self._x: display.Display | None = display.Display(display_name)

    def close(self) -> None:
        if self._x is not None:
            try:
                self._x.close()
            except error.ConnectionClosedError:
                pass
            self._x = None

    # ---- looking at the screen -------------------------------------------------------------------
    @property
    def x(self) -> display.Display:
        assert self._x is not None, "no X connection"
        return self._x

    def tray_owner(self) -> int:
        """The window id owning the system-tray selection, 0 when no tray host runs."""
        owner = self.x.get_selection_owner(self.x.intern_atom(TRAY_SELECTION))
        return 0 if owner == X.NONE else int(owner.id)

    def _box(self, win: display.drawable.Window) -> Box | None:
        try:
            geom = win.get_geometry()
            pos = win.translate_coords(self.x.screen().root, 0, 0)
        except error.XError:
            return None
        # translate_coords(root → win) gives the negated root position of the window's origin.
        return Box(-pos.x, -pos.y, geom.width, geom.height, int(win.id))

    def windows(self, wm_class: str, docked: bool = True) -> list[Box]:
        """Viewable windows whose WM_CLASS (instance or class) is `wm_class`, in stacking order.

        `docked`: only windows reparented into another (the tray host); an icon is briefly mapped as a
        top-level, off screen, before trayer takes it.
        """
        found = []
        for win, depth in _walk(self.x.screen().root):
            if docked and depth < 2:
                continue
            try:
                names = win.get_wm_class() or ()
                viewable = win.get_attributes().map_state == X.IsViewable
            except error.XError:
                continue
            if wm_class in names and viewable:
                box = self._box(win)
                if box is not None:
                    found.append(box)
        return found

    def tray_background(self) -> tuple[int, int, int]:
        """The tray host's own colour: a pixel at the far end of trayer's panel, where no icon sits."""
        return self.grab(TRAY_WIDTH - 3, TRAY_HEIGHT // 2, 1, 1).getpixel((0, 0))

    def painted(self, box: Box) -> bool:
        """Whether the window shows anything but the tray's background (an icon has drawn itself)."""
        background = self.tray_background()
        colours = self.grab_box(box).getcolors(box.width * box.height) or []
        return any(colour != background for _, colour in colours)

    def find_window(self, wm_class: str, deadline: float = 10.0, min_size: int = 4,
                    docked: bool = True, painted: bool = False) -> Box:
        """The viewable window with this WM_CLASS, polling for up to `deadline` seconds from now.

        An icon passes through stages before it is really there (TRAY-TESTING.md and measured here):
        mapped off screen as a top-level, docked at 1 px wide, docked at a provisional size, drawn.
        `docked`, `min_size` and `painted` (anything but the tray's background shows) wait them out.
        """
        return wait_until(lambda: self.window_now(wm_class, min_size, docked, painted), deadline,
                          f"a viewable window of class {wm_class!r}")

    def window_now(self, wm_class: str, min_size: int = 4, docked: bool = True,
                   painted: bool = False) -> Box | None:
        """`find_window` without waiting: the window as it is now, or None."""
        for box in self.windows(wm_class, docked):
            big_enough = box.width >= min_size and box.height >= min_size and _on_screen(box)
            if big_enough and (not painted or self.painted(box)):
                return box
        return None

    def popups(self) -> list[Box]:
        """Viewable override-redirect top-level windows: open menus and tooltips."""
        found = []
        for win in self.x.screen().root.query_tree().children:
            try:
                attrs = win.get_attributes()
            except error.XError:
                continue
            if attrs.override_redirect and attrs.map_state == X.IsViewable:
                box = self._box(win)
                # GTK keeps a 10×10 helper window mapped at (-100, -100): not a menu.
                if box is not None and box.width > 1 and box.height > 1 and box.x + box.width > 0 \
                        and box.y + box.height > 0:
                    found.append(box)
        return found

    def window_name(self, window: int) -> str:
        try:
            prop = self.x.create_resource_object("window", window).get_full_property(Xatom.WM_NAME, 0)
        except error.XError:
            return ""
        return prop.value.decode(errors="replace") if prop and isinstance(prop.value, bytes) else ""

    def grab(self, x: int, y: int, w: int, h: int) -> Image.Image:
        """The screen's pixels in a rectangle (clipped to the screen), as RGB."""
        x, y = max(0, x), max(0, y)
        w, h = min(w, SCREEN[0] - x), min(h, SCREEN[1] - y)
        raw = self.x.screen().root.get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF)
        # A 24-bit Xvfb screen stores 32 bits a pixel, little-endian BGRX.
        return Image.frombytes("RGB", (w, h), raw.data, "raw", "BGRX")

    def grab_box(self, box: Box) -> Image.Image:
        return self.grab(box.x, box.y, box.width, box.height)

    def screenshot(self, name: str | Path) -> Path:
        """Save the whole screen as PNG; a bare name goes into test-artifacts/."""
        path = Path(name)
        if not path.is_absolute():
            path = self.artifacts / path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.grab(0, 0, *SCREEN).save(path)
        return path

    # ---- input -----------------------------------------------------------------------------------
    def xdotool(self, *args: str) -> None:
        # No `mousemove --sync`: it hangs when the pointer is already at the target.
        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=10, capture_output=True)

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.xdotool("mousemove", str(x), str(y), "click", str(button))

    def key(self, *keys: str) -> None:
        self.xdotool("key", *keys)

    def wait_until(self, predicate: Callable[[], T], deadline: float, what: str = "condition") -> T:
        return wait_until(predicate, deadline, what)

    def new_popup(self, before: Sequence[Box], deadline: float = 5.0) -> Box:
        """Wait for a popup (menu) that was not among `before` to appear; return the largest."""
        fresh = wait_until(lambda: [b for b in self.popups() if b not in before], deadline, "a new popup window")
        return max(fresh, key=lambda b: b.width * b.height)



class Desktop(Screen):
    """`with Desktop() as desk:` a running X display with a tray host; `desk.env` is for children."""

    def __init__(self, artifacts: Path = ARTIFACTS) -> None:
        self.artifacts = artifacts
        self._children: list[subprocess.Popen[bytes]] = []
        self._timers: list[threading.Timer] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._x: display.Display | None = None
        self.env: dict[str, str] = {}  # set once the desktop runs

    # ---- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Desktop:
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.TemporaryDirectory(prefix="tray-desktop-")
        tmp = Path(self._tmp.name)
        home, runtime = tmp / "home", tmp / "runtime"
        home.mkdir()
        runtime.mkdir(mode=0o700)
        env = {k: v for k, v in os.environ.items()
               if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS",
                            "SESSION_MANAGER", "DESKTOP_SESSION", "XDG_CURRENT_DESKTOP")}
        env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local" / "share"),
                   NO_AT_BRIDGE="1",  # else GTK autolaunches at-spi, which outlives the test
                   GSETTINGS_BACKEND="memory", GDK_BACKEND="x11")

        read_fd, write_fd = os.pipe()
        try:
            self._spawn_daemon(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                                f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp", "-noreset"],
                               env, tmp / "xvfb.log", pass_fds=(write_fd,))
            os.close(write_fd)
            write_fd = -1
            env["DISPLAY"] = ":" + _read_line(read_fd, 10, "Xvfb")
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)

        read_fd, write_fd = os.pipe()
        try:
            self._spawn_daemon(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                f"--address=unix:path={runtime / 'bus'}", f"--print-address={write_fd}"],
                               env, tmp / "dbus.log", pass_fds=(write_fd,))
            os.close(write_fd)
            write_fd = -1
            env["DBUS_SESSION_BUS_ADDRESS"] = _read_line(read_fd, 10, "dbus-daemon")
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        self.env = env
        self._x = display.Display(env["DISPLAY"])

        dunstrc = tmp / "dunstrc"
        dunstrc.write_text(DUNSTRC)
        self._spawn_daemon(["dunst", "-config", str(dunstrc)], env, tmp / "dunst.log")
        self.start_panel()
        wait_until(self.notifications_owned, 10, "dunst owning org.freedesktop.Notifications", 0.05)

    def start_panel(self) -> None:
        """The tray host; subclasses (tests/e2e/panels.py) start another panel, or none."""
        assert self._tmp is not None
        self.panel = self._spawn_daemon(list(TRAYER), self.env, Path(self._tmp.name) / "trayer.log")
        wait_until(self.tray_owner, 10, "trayer owning _NET_SYSTEM_TRAY_S0")

    def __exit__(self, *exc: object) -> None:
        for timer in self._timers:
            timer.cancel()
        # Newest first: tray apps, then trayer and dunst, then the bus, the X server last.
        for proc in reversed(self._children):
            _kill_group(proc)
        self._children.clear()
        self.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # ---- processes -------------------------------------------------------------------------------
    def _spawn_daemon(self, argv: list[str], env: Mapping[str, str], log: Path,
                      pass_fds: Sequence[int] = ()) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            proc = subprocess.Popen(_prefix() + argv, env=dict(env), stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True, pass_fds=pass_fds)
        self._children.append(proc)
        return proc

    def spawn(self, argv: Sequence[str], env: Mapping[str, str] | None = None, lifetime: float = 120.0,
              log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start a tray process on this desktop in its own process group, killed after `lifetime` s.

        Output goes to `log` (default: a file under the desktop's temp dir, see `Popen.args`); the
        process is also killed when the desktop closes.
        """
        assert self._tmp is not None, "desktop not started"
        log = log or Path(self._tmp.name) / f"child-{len(self._children)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(_prefix() + list(argv), env=dict(env if env is not None else self.env),
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        proc.log = log  # type: ignore[attr-defined]  # for failure messages
        self._children.append(proc)
        timer = threading.Timer(lifetime, _kill_group, (proc, 0.5))
        timer.daemon = True
        timer.start()
        self._timers.append(timer)
        return proc

    @staticmethod
    def output(proc: subprocess.Popen[bytes]) -> str:
        """What a `spawn`ed process has written so far (stdout and stderr together)."""
        log: Path = proc.log  # type: ignore[attr-defined]
        return log.read_text(errors="replace")

    def notifications_owned(self) -> bool:
        result = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"],
            env=self.env, capture_output=True, text=True, timeout=5)
        return "boolean true" in result.stdout

def time_to_visible(cmd: Sequence[str], env: Mapping[str, str], wm_class: str,
                    deadline: float = 20.0) -> float:
    """Seconds from starting `cmd` until its icon (class `wm_class`) is docked and drawn on `env["DISPLAY"]`.

    The process is ended (process group, SIGTERM then SIGKILL) before returning, also on timeout.
    Used by the e2e tests and as the baseline for the startup benchmark.
    """
    screen = Screen(env["DISPLAY"])
    try:
        start = time.monotonic()
        proc = subprocess.Popen(_prefix() + list(cmd), env=dict(env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            def visible() -> Box | None:
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd[0]} exited with {proc.returncode} before showing its icon")
                return screen.window_now(wm_class, painted=True)
            wait_until(visible, deadline, f"{wm_class!r} visible", interval=0.002)
            return time.monotonic() - start
        finally:
            _kill_group(proc)
    finally:
        screen.close()
