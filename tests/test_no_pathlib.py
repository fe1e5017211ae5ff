"""The running tray never loads pathlib (issue 6): with urllib.parse, ipaddress, fnmatch and ntpath it costs
~0.8 MB of resident memory, and the benchmark holds the tray to 1.25× a bare pystray icon.

Each check runs in a fresh interpreter (this one has pathlib loaded by pytest) that imports what
`claude-tray run` imports, builds a `TrayApp` on the cache path `run` uses (text from `tray.store.paths`), and
drives it with a stand-in icon and a fixed clock, against a loopback usage server. A hook on the import
system records which file asked for pathlib, so a failure names the culprit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import ROOT, install_credentials
from tray.fetching.fetch import run_fetch

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
TRAY = str(ROOT / "tray")

# Runs in the child. Only os, sys and json before the hook: the child must not load pathlib itself.
# A meta-path finder that only watches: it records which files asked for pathlib; the normal finders load it.
WATCH = r"""
importers = []


class WhoImportsPathlib:
    def find_spec(self, name, path=None, target=None):
        if name == "pathlib":
            frame, files = sys._getframe(1), []
            while frame is not None:
                files.append(frame.f_code.co_filename)
                frame = frame.f_back
            importers.append([f for f in files if not f.startswith("<frozen")])
        return None


sys.meta_path.insert(0, WhoImportsPathlib())
"""

CHILD = r"""
import json, os, sys
from datetime import datetime, timedelta
""" + WATCH + r"""

import PIL.Image, schedule  # noqa: E401,F401 - what the running tray has loaded besides our modules
import tray.cli, tray.desktop.app, tray.desktop.runner, tray.show.render  # noqa: E401,F401
import tray.show.view, tray.show.notify, tray.fetching.fetch  # noqa: E401,F401
from tray.store import cache
from tray.desktop.app import TrayApp
from tray.store.paths import cache_path_str


class StandInIcon:
    HAS_NOTIFICATION = True
    icon = title = None

    def __init__(self):
        self.notes = []

    def update_menu(self):
        pass

    def notify(self, message, title=None):
        self.notes.append(title)


def report(step, **extra):
    print(json.dumps({"step": step, "pathlib": "pathlib" in sys.modules, "importers": importers, **extra}))
    sys.stdout.flush()


now = datetime.fromisoformat(sys.argv[1])
clock = {"now": now}
env = dict(os.environ)
app = TrayApp(env=env, cache_file=cache_path_str(env), base_interval=60, clock=lambda: clock["now"])
app.icon = StandInIcon()
def stamp():  # a write of ours replaces the file (a new inode); beside oh-my-claude it keeps the old mtime
    st = os.stat(app.cache_file)
    return (st.st_ino, st.st_mtime_ns)
before = stamp()
app.tick()  # redraw from the cache; 82 % crossed 80 %: a notification, and its mark written to the cache
report("tick", notes=app.icon.notes, cache_written=stamp() != before)
clock["now"] = now + timedelta(seconds=30)
app.tick()
app.fetch(manual=False)  # the gate declines: fetched 30 s ago
cache.update_state(app.cache_file, lambda state: state, now=clock["now"])
report("unchanged")
clock["now"] = now + timedelta(minutes=10)
app.fetch(manual=True)  # a request to the loopback server
report("fetched", title=app.view.title)
"""


def usage_payload(five: float, seven: float, now: datetime) -> dict:
    return {
        "five_hour": {"utilization": five, "resets_at": (now + timedelta(hours=2)).isoformat()},
        "seven_day": {"utilization": seven, "resets_at": (now + timedelta(days=3)).isoformat()},
    }


@pytest.fixture
def tray_steps(home: Path, fixtures: Path, httpserver: HTTPServer) -> dict[str, dict]:
    """Run the child on a HOME holding oh-my-claude's cache plus one fetch of ours (82 % used, just now)."""
    install_credentials(home, fixtures / "credentials" / "pro_valid.json")
    cache_file = home / ".claude" / "oh-my-claude" / ".usage_cache"
    cache_file.parent.mkdir(mode=0o700)
    shutil.copyfile(fixtures / "cache" / "oh_my_claude.json", cache_file)
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""),
           "CLAUDE_TRAY_API_URL": httpserver.url_for("/api/oauth/usage")}
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(82, 21, NOW))
    assert run_fetch(cache_file, NOW, env=env).fetched
    httpserver.clear()
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(85, 22, NOW))
    requests_before = len(httpserver.log)

    done = subprocess.run([sys.executable, "-c", CHILD, NOW.isoformat()], cwd=ROOT, env={
        **env, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8",
    }, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    steps = {line["step"]: line for line in map(json.loads, done.stdout.splitlines())}
    steps["fetched"]["requests"] = len(httpserver.log) - requests_before
    assert "code" in json.loads(cache_file.read_text())  # oh-my-claude's keys survived every write
    return steps


def asked_by_the_tray(importers: list[list[str]]) -> list[str]:
    """The tray's own files among those that imported pathlib themselves (innermost frame of each import)."""
    return sorted({chain[0] for chain in importers if chain and chain[0].startswith(TRAY)})


def test_a_ticking_tray_that_writes_the_cache_never_loads_pathlib(tray_steps):
    tick, unchanged = tray_steps["tick"], tray_steps["unchanged"]
    assert tick["notes"] and tick["cache_written"]  # the tick did announce 80 % and write its mark
    assert not tick["pathlib"], tick["importers"]
    assert not unchanged["pathlib"], unchanged["importers"]


def test_a_fetch_loads_pathlib_only_through_urllib3_not_through_the_tray(tray_steps):
    # urllib3 2.x's `urllib3.http2` imports importlib.metadata, which imports pathlib: that is requests'
    # cost, not ours. None of the tray's files may be the one asking.
    fetched = tray_steps["fetched"]
    assert fetched["requests"] == 1 and "85 %" in fetched["title"]
    assert asked_by_the_tray(fetched["importers"]) == [], fetched["importers"]
    assert all(any(f"{os.sep}urllib3{os.sep}" in f for f in chain) for chain in fetched["importers"])


# The launch-at-login check as `run` makes it once the icon shows (`_show_autostart`), in a child that has first
# imported what the running tray has loaded. It prints the check marks, then what the check newly loaded.
CHECK_CHILD = r"""
import json, sys
""" + WATCH + r"""

import logging, subprocess, threading  # noqa: E401,F401 - loaded by the running tray (pystray needs a display)
import PIL.Image, schedule  # noqa: E401,F401
import tray.cli, tray.desktop.app, tray.desktop.runner, tray.show.render  # noqa: E401,F401
import tray.show.view, tray.show.notify, tray.fetching.fetch  # noqa: E401,F401
from tray.desktop.runner import _autostart_enabled

before = set(sys.modules)
marks = [_autostart_enabled(json.loads(env)) for env in sys.argv[1:]]
print(json.dumps({"marks": marks, "new": sorted(set(sys.modules) - before), "importers": importers}))
"""
# All the check may add to the tray: its own small modules.
CHECK_MODULES = {"tray.desktop.autostart", "tray.desktop.autostart.base", "tray.desktop.autostart.desktop_entry",
                 "tray.desktop.autostart.files", "tray.desktop.autostart.linux"}


def launch_at_login_check(*envs: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-c", CHECK_CHILD, *map(json.dumps, envs)], cwd=ROOT, capture_output=True,
                          text=True, env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
                                          "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the tray's check reads an XDG autostart entry")
def test_the_start_up_launch_at_login_check_loads_neither_pathlib_nor_anything_heavy(home: Path, tmp_path: Path):
    from tray.desktop.autostart.linux import XdgAutostart

    program = tmp_path / "bin" / "claude-tray"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    config = home / ".config"  # a Path: the backends take str or os.PathLike
    work = home / "work-account"
    # Entries for the default tray and for a `--config-dir` one, so the check reads a real entry (and checks
    # that its program exists) rather than stopping at a missing file.
    XdgAutostart([str(program), "run"], config_home=config).enable()
    XdgAutostart([str(program), "run", "--config-dir", str(work)], config_home=config,
                 entry_id="claude-usage-tray-work-account").enable()
    plain = {"HOME": str(home), "XDG_CONFIG_HOME": str(config)}

    checked = launch_at_login_check(plain, {**plain, "CLAUDE_CONFIG_DIR": str(work)},
                                    {**plain, "CLAUDE_CONFIG_DIR": str(home / "elsewhere")})

    assert checked["marks"] == [True, True, False]
    assert "pathlib" not in checked["new"], checked["importers"]
    assert set(checked["new"]) <= CHECK_MODULES, checked["new"]
