"""Real panels for the desktop matrix (issue 14): trayer, lxpanel and xfce4-panel, each light or dark.

Each `PanelDesktop` is the harness's Xvfb + D-Bus + dunst desktop with another tray host, which a test can
kill and start again in the other colour (a panel restart), or not start at all (no tray host).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

from tests.e2e.desktop import TRAYER, Box, Desktop, _kill_group, wait_until

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
    for r, g, b in image.getdata():
        if max(r, g, b) - min(r, g, b) < 30 and 12 <= abs((r + g + b) / 3 - base) <= 110:
            count += 1
    return count
