"""Two machines of one account sharing readings through two real Syncthing instances on loopback (SPEC §10).

Each "machine" has its own HOME, Claude Code sign-in, cache and Syncthing (its own --home, GUI port and listen
port on 127.0.0.1; global and local discovery, relays, NAT traversal, usage reporting, crash reports and
upgrades off). The two devices know each other by ID at a static tcp://127.0.0.1 address and share one folder
watched for changes. Machine A's fetch cycle is the tray worker's (`run_fetch`, automatic, as the tray calls
it every minute), driven in A's environment instead of a whole tray on a display; B runs only the command line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import require_tool
from tests.share_helpers import Machine, statusline_input, usage_body
from tray.fetching.fetch import run_fetch
from tray.store import cache

FOLDER_ID = "claude-share"
SYNC_DEADLINE_S = 30  # the watcher waits 1 s, then a scan, the index exchange and the pull: a few seconds here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check: Callable[[], object], deadline_s: float = SYNC_DEADLINE_S) -> object:
    end = time.monotonic() + deadline_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            pytest.fail(f"not within {deadline_s} s: {what}")
        time.sleep(0.2)


class Syncthing:
    """One Syncthing instance: generated keys, a config for loopback only, a running `syncthing serve`."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.home = root / f"syncthing-{name}"
        self.folder = root / name / "Sync"
        self.folder.mkdir(parents=True)
        (self.folder / ".stfolder").mkdir()
        self.gui_port, self.port = free_port(), free_port()
        self.api_key = f"claude-tray-test-{name}-key"
        self.env = {"HOME": str(root / name), "PATH": os.environ.get("PATH", ""), "STNOUPGRADE": "1",
                    "STNORESTART": "1"}
        subprocess.run(["syncthing", "generate", f"--home={self.home}", "--no-default-folder",
                        "--skip-port-probing"], env=self.env, check=True, capture_output=True, timeout=60)
        self.device_id = subprocess.run(["syncthing", "serve", f"--home={self.home}", "--device-id"], env=self.env,
                                        check=True, capture_output=True, text=True, timeout=60).stdout.strip()
        self.process: subprocess.Popen | None = None

    def configure(self, peer: Syncthing) -> None:
        path = self.home / "config.xml"
        tree = ET.parse(path)
        root = tree.getroot()
        for device in root.findall("device"):
            if device.get("id") == self.device_id:
                device.set("name", self.name)
        gui = root.find("gui")
        gui.find("address").text = f"127.0.0.1:{self.gui_port}"
        gui.find("apikey").text = self.api_key
        options = root.find("options")
        for key, value in {
            "listenAddress": f"tcp://127.0.0.1:{self.port}",
            "globalAnnounceEnabled": "false", "localAnnounceEnabled": "false", "relaysEnabled": "false",
            "natEnabled": "false", "startBrowser": "false", "urAccepted": "-1", "crashReportingEnabled": "false",
            "autoUpgradeIntervalH": "0", "reconnectionIntervalS": "2", "announceLANAddresses": "false",
        }.items():
            element = options.find(key)
            if element is None:
                element = ET.SubElement(options, key)
            element.text = value
        options.find("minHomeDiskFree").text = "0"
        peer_device = ET.SubElement(root, "device", {"id": peer.device_id, "name": peer.name,
                                                     "compression": "metadata", "introducer": "false"})
        ET.SubElement(peer_device, "address").text = f"tcp://127.0.0.1:{peer.port}"
        ET.SubElement(peer_device, "autoAcceptFolders").text = "false"
        folder = ET.Element("folder", {"id": FOLDER_ID, "label": "claude-tray share", "path": str(self.folder),
                                       "type": "sendreceive", "rescanIntervalS": "10", "fsWatcherEnabled": "true",
                                       "fsWatcherDelayS": "1", "ignorePerms": "false", "autoNormalize": "true"})
        ET.SubElement(folder, "filesystemType").text = "basic"
        for device_id in (self.device_id, peer.device_id):
            ET.SubElement(folder, "device", {"id": device_id, "introducedBy": ""})
        ET.SubElement(folder, "minDiskFree", {"unit": "%"}).text = "0"
        ET.SubElement(folder, "markerName").text = ".stfolder"
        root.insert(0, folder)
        tree.write(path)

    def start(self) -> None:
        log = open(self.home / "syncthing.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            ["syncthing", "serve", f"--home={self.home}", "--no-browser", "--no-restart", "--no-upgrade",
             "--logflags=0"], env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def rest(self, path: str) -> object:
        request = urllib.request.Request(f"http://127.0.0.1:{self.gui_port}{path}",
                                         headers={"X-API-Key": self.api_key})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())

    def connected_to(self, peer: Syncthing) -> bool:
        try:
            connections = self.rest("/rest/system/connections")
        except OSError:
            return False
        return bool(connections["connections"].get(peer.device_id, {}).get("connected"))

    def log(self) -> str:
        return (self.home / "syncthing.log").read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Syncthing, Syncthing]]:
    require_tool("syncthing")
    root = tmp_path_factory.mktemp("machines")
    a, b = Syncthing(root, "A"), Syncthing(root, "B")
    a.configure(b)
    b.configure(a)
    try:
        a.start()
        b.start()
        try:
            wait_for("the two Syncthing devices connected", lambda: a.connected_to(b) and b.connected_to(a), 45)
        except BaseException:
            print(a.log(), b.log(), sep="\n----\n")
            raise
        yield a, b
    finally:
        a.stop()
        b.stop()


def cli(machine: Machine, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tray", *args], env=machine.cli_env(), input=stdin,
                          capture_output=True, text=True, timeout=60)


def snapshot_seen(folder: Path, host: str, check: Callable[[dict], bool]) -> Callable[[], bool]:
    def seen() -> bool:
        try:
            data = json.loads((folder / "claude-tray" / f"{host}.json").read_text())
        except (OSError, ValueError):
            return False
        return check(data)

    return seen


def test_a_reading_fetched_on_a_travels_through_syncthing_to_b_a_429_stops_b_and_bs_status_line_reaches_a(
    pair: tuple[Syncthing, Syncthing], httpserver: HTTPServer
):
    st_a, st_b = pair
    url = httpserver.url_for("/api/oauth/usage")
    a = Machine(st_a.folder.parents[1], "A", st_a.folder, url=url)
    b = Machine(st_b.folder.parents[1], "B", st_b.folder, url=url)
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_body(47.0, 21.0))

    # A's tray fetches; B's copy of the share gets A's snapshot, and B's status shows A's figures via A.
    now = datetime.now(timezone.utc)
    assert run_fetch(a.cache_file, now, env=a.env).fetched
    started = time.monotonic()
    wait_for("A's snapshot on B", snapshot_seen(st_b.folder, "A", lambda d: d["reading"] is not None))
    delay = time.monotonic() - started
    status = cli(b, "status")
    assert status.returncode == 0, status.stderr
    assert "5-hour 47%" in status.stdout and "via A · just now" in status.stdout, status.stdout
    outcome = run_fetch(b.cache_file, datetime.now(timezone.utc), env=b.env)
    assert not outcome.fetched and "fresh reading" in outcome.message
    assert len(httpserver.log) == 1, "B sent no request of its own"
    print(f"A's snapshot reached B {delay:.1f} s after A wrote it")

    # A is rate limited; once the wait reaches B, neither B's tray cycle nor a manual refresh on B asks.
    httpserver.clear_all_handlers()
    httpserver.expect_request("/api/oauth/usage").respond_with_json(
        {"error": {"type": "rate_limit_error", "message": "Rate limited."}}, status=429,
        headers={"Retry-After": "1800"})
    later = now + timedelta(seconds=61)
    assert run_fetch(a.cache_file, later, env=a.env).error is not None
    wait_for("A's server wait on B", snapshot_seen(st_b.folder, "A", lambda d: d["server_wait"] is not None))
    assert not run_fetch(b.cache_file, later + timedelta(seconds=30), env=b.env).fetched
    refresh = cli(b, "refresh")
    assert "Not fetched" in refresh.stdout and "wait" in refresh.stdout, refresh.stdout + refresh.stderr
    assert len(httpserver.log) == 2, "only A's one request met the 429; B asked nothing"
    assert cache.read_state(b.cache_file).gate.server_until is not None

    # B runs only Claude Code's status line: its figures reach A, which shows them via B.
    line = cli(b, "statusline", stdin=statusline_input(62.0, 41.0))
    assert line.returncode == 0 and line.stdout == "5h:62% 7d:41%\n", line.stdout + line.stderr
    wait_for("B's status-line figures on A",
             snapshot_seen(st_a.folder, "B", lambda d: (d["reading"] or {}).get("source") == "statusline"))
    status = cli(a, "status", "--json")
    shown = json.loads(status.stdout)
    assert shown["via"] == "B" and shown["source"] == "statusline"
    assert [w["utilization"] for w in shown["windows"][:2]] == [62.0, 41.0]
    assert len(httpserver.log) == 2


def test_the_configs_keep_syncthing_on_loopback(pair: tuple[Syncthing, Syncthing]):
    for st in pair:
        config = ET.parse(st.home / "config.xml").getroot()
        options = {child.tag: child.text for child in config.find("options")}
        assert options["listenAddress"].startswith("tcp://127.0.0.1:")
        assert options["globalAnnounceEnabled"] == options["localAnnounceEnabled"] == "false"
        assert options["relaysEnabled"] == options["natEnabled"] == "false"
        assert config.find("gui/address").text.startswith("127.0.0.1:")
