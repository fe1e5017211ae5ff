"""Real panels for the desktop matrix (issue 14): trayer, lxpanel and xfce4-panel, each light or dark.

Each `PanelDesktop` is the harness's Xvfb + D-Bus + dunst desktop with another tray host, which a test can
kill and start again in the other colour (a panel restart), or not start at all (no tray host).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PIL import Image

from tests.e2e.desktop import ARTIFACTS, DUNSTRC, TRAYER, Box, Desktop, _kill_group, _prefix, wait_until

T = TypeVar("T")

PANEL_RGB = {"light": (236, 236, 236), "dark": (32, 32, 32)}
SNI_WATCHER = "org.kde.StatusNotifierWatcher"

LXPANEL = """Global {{
  edge=top
  align=left
  margin=0
  widthtype=pixel
  width=240
  height=32
  transparent=1
  tintcolor={tint}
  alpha=255
  setdocktype=1
  setpartialstrut=0
  autohide=0
  iconsize=24
}}
Plugin {{
  type=tray
}}
"""

XFCE_PANEL = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=120;y=16"/>
      <property name="length" type="double" value="40"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="icon-size" type="uint" value="24"/>
      <property name="background-style" type="uint" value="1"/>
      <property name="background-rgba" type="array">
        <value type="double" value="{r}"/><value type="double" value="{g}"/><value type="double" value="{b}"/>
        <value type="double" value="1"/>
      </property>
      <property name="plugin-ids" type="array"><value type="int" value="1"/></property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
"""

HOSTS = {
    # name: (tools it needs, pystray backend the tray uses there)
    "trayer": (("trayer",), "gtk"),
    "lxpanel": (("lxpanel",), "gtk"),
    "xfce4-panel": (("xfce4-panel", "xfconf-query"), "appindicator"),
}


def hex_rgb(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


class PanelDesktop(Desktop):
    """A desktop whose tray host is `host` in `theme`; `start_host=False` starts none (the tray is alone)."""

    def __init__(self, host: str, theme: str = "dark", start_host: bool = True) -> None:
        super().__init__()
        self.host, self.theme, self.start_host = host, theme, start_host
        self.panel: subprocess.Popen[bytes] | None = None
        self.panel_rgb = PANEL_RGB[theme]

    def start_panel(self) -> None:
        if self.start_host:
            self.launch_panel(self.theme)

    def launch_panel(self, theme: str) -> None:
        assert self._tmp is not None
        self.theme = theme
        rgb = PANEL_RGB[theme]
        config = Path(self.env["XDG_CONFIG_HOME"])
        log = Path(self._tmp.name) / f"{self.host}.log"
        if self.host == "trayer":
            argv = [*TRAYER, "--transparent", "true", "--alpha", "0", "--tint", "0x{:02x}{:02x}{:02x}".format(*rgb)]
        elif self.host == "lxpanel":
            folder = config / "lxpanel" / "matrix" / "panels"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "panel").write_text(LXPANEL.format(tint=hex_rgb(rgb)))
            argv = ["lxpanel", "--profile", "matrix"]
        elif self.host == "xfce4-panel":
            folder = config / "xfce4" / "xfconf" / "xfce-perchannel-xml"
            folder.mkdir(parents=True, exist_ok=True)
            r, g, b = (round(c / 255, 3) for c in rgb)
            (folder / "xfce4-panel.xml").write_text(XFCE_PANEL.format(r=r, g=g, b=b))
            # xfconfd (D-Bus activated) keeps what it read first: tell it the colour, too.
            subprocess.run(["xfconf-query", "-c", "xfce4-panel", "-p", "/panels/panel-1/background-rgba",
                            *(arg for c in (r, g, b, 1) for arg in ("-t", "double", "-s", str(c)))],
                           env=self.env, capture_output=True, timeout=10, check=True)
            self.env["XDG_CURRENT_DESKTOP"] = "XFCE"
            argv = ["xfce4-panel", "--disable-wm-check"]
        else:
            raise ValueError(self.host)
        self.panel = self._spawn_daemon(argv, self.env, log)
        wait_until(self.host_ready, 15, f"{self.host} ready", 0.05)
        # Ready to embed is not yet painted: wait until the panel shows its own colour.
        self.panel_rgb = wait_until(lambda: self.painted_as(rgb), 10, f"{self.host} painted", 0.05)

    def painted_as(self, rgb: tuple[int, int, int]) -> tuple[int, int, int] | None:
        """The panel's colour as drawn (the commonest in its strip) once it is near `rgb`, else None."""
        strip = self.grab(0, 0, 240, 30)
        _count, drawn = max(strip.getcolors(240 * 30) or [(0, (0, 0, 0))])
        return drawn if all(abs(a - b) <= 40 for a, b in zip(drawn, rgb)) else None

    def host_ready(self) -> bool:
        if self.host == "xfce4-panel":
            return self.bus_name_owned(SNI_WATCHER) and bool(self.tray_owner())
        return bool(self.tray_owner())

    def kill_panel(self) -> None:
        if self.panel is not None:
            _kill_group(self.panel)
            self.panel = None
            if self.host == "xfce4-panel":
                wait_until(lambda: not self.bus_name_owned(SNI_WATCHER), 10, "the watcher gone", 0.05)
            wait_until(lambda: not self.tray_owner(), 10, "the tray gone", 0.05)

    def bus_name_owned(self, name: str) -> bool:
        result = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
            env=self.env, capture_output=True, text=True, timeout=5)
        return "boolean true" in result.stdout

    # --- finding the ring by its pixels (SNI hosts draw it in their own window) -------------------------
    def panel_strip(self) -> Box:
        return Box(0, 0, 320, 34)

    def ring_box(self) -> Box | None:
        """Where level-coloured (saturated) pixels sit on the panel strip: the ring's arcs, or None."""
        strip = self.panel_strip()
        image = self.grab_box(strip)
        xs, ys = [], []
        for y in range(image.height):
            for x in range(image.width):
                r, g, b = image.getpixel((x, y))
                if max(r, g, b) - min(r, g, b) >= 60:
                    xs.append(x)
                    ys.append(y)
        if len(xs) < 6:
            return None
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        return Box(strip.x + x0, strip.y + y0, x1 - x0 + 1, y1 - y0 + 1)


def track_pixels(image: Image.Image, panel: tuple[int, int, int]) -> int:
    """Pixels of a grey track: not the panel's colour (luma 12+ away), not saturated like an arc."""
    base = sum(panel) / 3
    count = 0
    for r, g, b in image.get_flattened_data():
        if max(r, g, b) - min(r, g, b) < 30 and 12 <= abs((r + g + b) / 3 - base) <= 110:
            count += 1
    return count


# --- Wayland: headless sway with waybar's tray module -------------------------------------------------------
# sway refuses to run as root ("Unable to drop root"), so this whole session — bus, compositor, bar, dunst and
# the tray — runs as `nobody` (setpriv); a D-Bus session bus only talks to its own user.
NOBODY = ("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--")
WAYLAND_TOOLS = ("sway", "waybar", "grim", "setpriv", "dbus-daemon", "dbus-send", "gdbus", "dunst")
WAYBAR_CONFIG = '{"layer": "top", "position": "top", "height": 32, "modules-left": ["tray"], ' \
                '"tray": {"icon-size": 24, "spacing": 4}}'
WAYBAR_STYLE = "* {{ border: none; border-radius: 0; min-height: 0; }} window#waybar {{ background: {bg}; }}"
GTK_SETTINGS = "[Settings]\ngtk-theme-name={name}\n"
SWAY_CONFIG = "output HEADLESS-1 resolution 640x240 bg #000000 solid_color\n"


class WaylandDesktop:
    """`with WaylandDesktop("dark") as desk:` headless sway (pixman renderer, no input devices) with waybar.

    The same interface as `PanelDesktop` where the matrix needs it; pixels come from `grim`. Headless sway has
    no pointer, so the menu is driven the way waybar drives it: over D-Bus (com.canonical.dbusmenu).
    """

    host = "waybar"

    def __init__(self, theme: str = "dark", start_host: bool = True) -> None:
        self.theme, self.start_host = theme, start_host
        self.panel_rgb = PANEL_RGB[theme]
        self.panel: subprocess.Popen[bytes] | None = None
        self._children: list[subprocess.Popen[bytes]] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.env: dict[str, str] = {}

    def __enter__(self) -> WaylandDesktop:
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self._children):
            _kill_group(proc)
        self._children.clear()
        if self._tmp is not None:
            subprocess.run(["chown", "-R", f"{os.getuid()}:{os.getgid()}", self._tmp.name], check=False)
            self._tmp.cleanup()
            self._tmp = None

    @property
    def tmp(self) -> Path:
        assert self._tmp is not None
        return Path(self._tmp.name)

    def _start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="tray-wayland-")
        tmp = self.tmp
        home, runtime = tmp / "home", tmp / "runtime"
        (home / ".config" / "sway").mkdir(parents=True)
        runtime.mkdir(mode=0o700)
        (home / ".config" / "sway" / "config").write_text(SWAY_CONFIG)
        (home / "dunstrc").write_text(DUNSTRC)
        env = {k: v for k, v in os.environ.items()
               if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS",
                            "SESSION_MANAGER", "DESKTOP_SESSION", "XDG_CURRENT_DESKTOP")}
        env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local" / "share"),
                   NO_AT_BRIDGE="1", GSETTINGS_BACKEND="memory", GDK_BACKEND="wayland", XDG_CURRENT_DESKTOP="sway",
                   WLR_BACKENDS="headless", WLR_LIBINPUT_NO_DEVICES="1", WLR_RENDERER="pixman")
        os.chmod(tmp, 0o755)
        subprocess.run(["chown", "-R", "65534:65534", str(home), str(runtime)], check=True)
        self.env = env
        bus = self.spawn(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                          f"--address=unix:path={runtime / 'bus'}"], log=tmp / "dbus.log")
        env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={runtime / 'bus'}"
        wait_until(lambda: (runtime / "bus").exists() or bus.poll() is not None, 10, "the session bus", 0.02)
        self.spawn(["sway"], log=tmp / "sway.log")
        socket = wait_until(lambda: next((p.name for p in runtime.glob("wayland-*") if not p.name.endswith(".lock")),
                                         None), 10, "sway's Wayland socket", 0.02)
        env["WAYLAND_DISPLAY"] = socket
        self.spawn(["dunst", "-config", str(home / "dunstrc")], log=tmp / "dunst.log")
        wait_until(lambda: self.bus_name_owned("org.freedesktop.Notifications"), 10, "dunst", 0.05)
        if self.start_host:
            self.launch_panel(self.theme)

    # ---- processes, as nobody ------------------------------------------------------------------------
    def spawn(self, argv: list[str] | tuple[str, ...], env: dict[str, str] | None = None, lifetime: float = 120.0,
              log: Path | None = None) -> subprocess.Popen[bytes]:
        log = log or self.tmp / f"child-{len(self._children)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([*_prefix(), *NOBODY, *argv], env=dict(env or self.env), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd="/")
        proc.log = log  # type: ignore[attr-defined]
        self._children.append(proc)
        timer = threading.Timer(lifetime, _kill_group, (proc, 0.5))
        timer.daemon = True
        timer.start()
        return proc

    def run(self, argv: list[str], env: dict[str, str] | None = None,
            timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*NOBODY, *argv], env=dict(env or self.env), capture_output=True, text=True,
                              timeout=timeout, check=False, cwd="/")

    @staticmethod
    def output(proc: subprocess.Popen[bytes]) -> str:
        return Desktop.output(proc)

    def own(self, path: Path) -> None:
        subprocess.run(["chown", "-R", "65534:65534", str(path)], check=True)

    def bus_name_owned(self, name: str) -> bool:
        result = self.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                           "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}"], timeout=5)
        return "boolean true" in result.stdout

    # ---- the bar ---------------------------------------------------------------------------------------
    def launch_panel(self, theme: str) -> None:
        self.theme = theme
        rgb = PANEL_RGB[theme]
        config = Path(self.env["XDG_CONFIG_HOME"])
        (config / "waybar").mkdir(parents=True, exist_ok=True)
        (config / "waybar" / "config").write_text(WAYBAR_CONFIG)
        (config / "waybar" / "style.css").write_text(WAYBAR_STYLE.format(bg=hex_rgb(rgb)))
        # Nothing on Wayland shows the bar's pixels to a client: the GTK theme's name is what the tray reads.
        (config / "gtk-3.0").mkdir(parents=True, exist_ok=True)
        (config / "gtk-3.0" / "settings.ini").write_text(
            GTK_SETTINGS.format(name="Adwaita" if theme == "light" else "Adwaita-dark"))
        self.own(config)
        self.panel = self.spawn(["waybar"], log=self.tmp / "waybar.log")
        wait_until(lambda: self.bus_name_owned(SNI_WATCHER), 15, "waybar's StatusNotifierWatcher", 0.05)
        self.panel_rgb = wait_until(lambda: self.painted_as(rgb), 10, "waybar painted", 0.05)

    def painted_as(self, rgb: tuple[int, int, int]) -> tuple[int, int, int] | None:
        strip = self.grab(0, 0, 240, 30)
        _count, drawn = max(strip.getcolors(240 * 30) or [(0, (0, 0, 0))])
        return drawn if all(abs(a - b) <= 40 for a, b in zip(drawn, rgb)) else None

    def kill_panel(self) -> None:
        if self.panel is not None:
            _kill_group(self.panel)
            self.panel = None
            wait_until(lambda: not self.bus_name_owned(SNI_WATCHER), 10, "the watcher gone", 0.05)

    # ---- pixels -----------------------------------------------------------------------------------------
    def grab(self, x: int, y: int, w: int, h: int) -> Image.Image:
        shot = subprocess.run([*NOBODY, "grim", "-g", f"{x},{y} {w}x{h}", "-t", "ppm", "-"], env=self.env,
                              capture_output=True, timeout=10, check=True, cwd="/")
        return Image.open(io.BytesIO(shot.stdout)).convert("RGB")

    def grab_box(self, box: Box) -> Image.Image:
        return self.grab(box.x, box.y, box.width, box.height)

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.grab(0, 0, 640, 240).save(path)
        return path

    def wait_until(self, predicate: Callable[[], T], deadline: float, what: str = "condition") -> T:
        return wait_until(predicate, deadline, what, 0.05)

    panel_strip = PanelDesktop.panel_strip
    ring_box = PanelDesktop.ring_box

    # ---- the menu, as waybar reads it ----------------------------------------------------------------
    def menu_items(self) -> dict[str, int]:
        """Label -> dbusmenu id of the tray's menu, read from its StatusNotifierItem over D-Bus."""
        items = self.run(["gdbus", "call", "--session", "--dest", SNI_WATCHER, "--object-path",
                          "/StatusNotifierWatcher", "--method", "org.freedesktop.DBus.Properties.Get", SNI_WATCHER,
                          "RegisteredStatusNotifierItems"], timeout=10).stdout
        found = re.findall(r"'([^']+)'", items)
        if not found:
            return {}
        service, _, path = found[0].partition("/")
        menu = self.run(["gdbus", "call", "--session", "--dest", service, "--object-path", "/" + path,
                         "--method", "org.freedesktop.DBus.Properties.Get", "org.kde.StatusNotifierItem", "Menu"],
                        timeout=10).stdout
        menu_path = re.search(r"objectpath '([^']+)'", menu)
        if menu_path is None:
            return {}
        self.menu_address = (service, menu_path.group(1))
        layout = self.run(["gdbus", "call", "--session", "--dest", service, "--object-path", menu_path.group(1),
                           "--method", "com.canonical.dbusmenu.GetLayout", "0", "10", "[]"], timeout=10).stdout
        return {label: int(ident) for ident, label in re.findall(r"\((\d+), \{[^}]*'label': <'([^']*)'>", layout)}

    def menu_click(self, ident: int) -> None:
        service, path = self.menu_address
        self.run(["gdbus", "call", "--session", "--dest", service, "--object-path", path, "--method",
                  "com.canonical.dbusmenu.Event", str(ident), "clicked", "<int32 0>", "0"], timeout=10)
