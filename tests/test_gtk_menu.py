"""The gtk icon's menu (tray/desktop/gtkicon.py) on a real GTK under Xvfb: a changed usage line relabels the
built menu; only a change of anything else builds it again. Counted in Gtk.Menus made, never timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import require_tool

CHILD = r"""
import json, sys
from PIL import Image
import pystray
from tray.desktop.gtkicon import Icon

state = {"line": "5-hour 40 %", "checked": False, "extra": False}

def items():
    yield pystray.MenuItem(state["line"], None, enabled=False)
    yield pystray.Menu.SEPARATOR
    yield pystray.MenuItem("Refresh now", lambda: None, default=True)
    yield pystray.MenuItem("Settings", pystray.Menu(
        pystray.MenuItem("Label beside the icon", lambda: None, checked=lambda _: state["checked"]),
        pystray.MenuItem("Theme: dark", lambda: None)))
    if state["extra"]:
        yield pystray.MenuItem("Show usage history…", lambda: None)

icon = Icon("claude-tray", Image.new("RGBA", (16, 16)), "title", menu=pystray.Menu(items))
builds = []
real_create = icon._create_menu
icon._create_menu = lambda d: builds.append(1) or real_create(d)
update = Icon._update_menu.__wrapped__  # what the GTK loop runs for update_menu()

def seen():
    top = icon._menu_handle.get_children()
    return {"labels": [w.get_label() for w in top], "id": id(icon._menu_handle), "builds": len(builds),
            "checked": top[3].get_submenu().get_children()[0].get_active()}

out = {}
update(icon); out["first"] = seen()
update(icon); out["same"] = seen()
state["line"] = "5-hour 55 %"; update(icon); out["line"] = seen()
state["checked"] = True; update(icon); out["check"] = seen()
state["extra"] = True; update(icon); out["extra"] = seen()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def display():
    require_tool("Xvfb")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "320x240x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as lines:
        number = lines.readline().strip()  # Xvfb writes the display number once it accepts clients
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_changed_usage_line_relabels_the_menu_and_a_new_check_mark_or_item_builds_it_again(display):
    env = {**os.environ, "DISPLAY": display, "PYSTRAY_BACKEND": "gtk"}
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    built = seen["first"]["builds"]  # Gtk.Menus made: the menu and its Settings submenu
    assert built == 2
    assert seen["same"]["builds"] == built and seen["same"]["id"] == seen["first"]["id"]
    assert seen["line"]["builds"] == built and seen["line"]["labels"][0] == "5-hour 55 %"
    assert seen["line"]["id"] == seen["first"]["id"]
    assert seen["check"]["builds"] == 2 * built and seen["check"]["checked"] is True
    assert seen["extra"]["builds"] == 3 * built and seen["extra"]["labels"][-1] == "Show usage history…"
