"""macOS: a per-user LaunchAgent, `~/Library/LaunchAgents/<label>.plist`, written with plistlib.

No `KeepAlive`: launchd would restart the tray every time the user chooses Quit. `launchctl` is run
only for what the caller asked: `load_now=True` bootstraps on enable and boots out on disable (which
stops a tray that launchd started); otherwise the agent takes effect at the next login. Status also asks
`launchctl print-disabled`, read-only, because System Settings → Login Items switches agents off there
without touching the plist.
"""

from __future__ import annotations

import os
import plistlib
import re
import subprocess
import sys
from collections.abc import Sequence
from typing import Any, Callable

from tray.desktop.autostart import files
from tray.desktop.autostart.base import AutostartBackend, AutostartState, AutostartStatus, CommandSource
from tray.desktop.autostart.files import read_bytes, write_atomically
from tray.errors import AutostartError

LABEL = "io.github.claude-usage-tray"
# (returncode, combined output) of one launchctl call; injectable so tests record calls instead.
Runner = Callable[[Sequence[str]], "tuple[int, str]"]


def run_launchctl(argv: Sequence[str]) -> tuple[int, str]:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 127, str(e)
    return done.returncode, (done.stdout + done.stderr).strip()


def agent_plist(label: str, command: Sequence[str]) -> dict[str, Any]:
    return {
        "Label": label,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        # A menu-bar utility the user looks at: launchd must not throttle it like a background daemon.
        "ProcessType": "Interactive",
        # Only in a graphical login, not in ssh or background sessions that also load LaunchAgents.
        "LimitLoadToSessionType": "Aqua",
    }


class LaunchAgent(AutostartBackend):
    name = "launchd"

    def __init__(self, command: CommandSource, *, home: str | os.PathLike[str], label: str = LABEL,
                 runner: Runner | None = None, uid: int | None = None, load_now: bool = False) -> None:
        self._command = command
        self.label = label
        # Text, not pathlib: status() runs in the tray for its check mark (pathlib: ~0.6 MB of RSS).
        self._path = os.path.join(os.fspath(home), "Library", "LaunchAgents", f"{label}.plist")
        self.runner: Runner = run_launchctl if runner is None else runner
        self._uid = uid
        self.load_now = load_now

    @property
    def location(self) -> str:
        return self._path

    @property
    def domain(self) -> str:
        if self._uid is not None:
            return f"gui/{self._uid}"
        if sys.platform == "win32":  # launchd's per-user domain is named by a POSIX user id
            raise AutostartError("Launch agents exist only on macOS.")
        return f"gui/{os.getuid()}"

    def _read(self) -> dict[str, Any] | None:
        data = read_bytes(self._path)
        if data is None:
            return None
        try:
            loaded = plistlib.loads(data)
        except (plistlib.InvalidFileException, ValueError) as e:
            raise AutostartError(f"Could not read {self._path} ({e}); delete it and try again.") from e
        return loaded if isinstance(loaded, dict) else {}

    def _disabled_in_launchd(self) -> bool:
        code, out = self.runner(["launchctl", "print-disabled", self.domain])
        # macOS 10.x prints `"label" => true`, 11+ `"label" => disabled`.
        pattern = rf'"{re.escape(self.label)}"\s*=>\s*(true|disabled)\b'
        return code == 0 and re.search(pattern, out) is not None

    def status(self) -> AutostartStatus:
        try:
            agent = self._read()
        except AutostartError as e:
            return AutostartStatus(AutostartState.DISABLED, str(e), self.location)
        if agent is None:
            return AutostartStatus(AutostartState.DISABLED, f"Launch at login is off (there is no {self._path}).",
                                   self.location)
        if agent.get("Disabled") is True or self._disabled_in_launchd():
            return AutostartStatus(
                AutostartState.DISABLED_BY_USER,
                f"Launch at login was turned off in System Settings → General → Login Items ({self.label}); "
                "turn it back on there.",
                self.location,
            )
        args = agent.get("ProgramArguments")
        program = args[0] if isinstance(args, list) and args and isinstance(args[0], str) else ""
        return AutostartStatus.from_entry(program, self._path, self.location)

    def _loaded(self) -> bool:
        return self.runner(["launchctl", "print", f"{self.domain}/{self.label}"])[0] == 0

    def enable(self) -> str:
        current = self.status()
        if current.state is AutostartState.DISABLED_BY_USER:
            raise AutostartError(current.detail)
        agent = self._read()
        if agent is not None and agent.get("Label") != self.label:
            raise AutostartError(f"{self._path} was not written by claude-tray; delete it, then run "
                                 "`claude-tray autostart enable` again.")
        wanted = plistlib.dumps(agent_plist(self.label, self.command()), sort_keys=True)
        changed = not (os.path.isfile(self._path) and read_bytes(self._path) == wanted)
        if changed:
            write_atomically(self._path, wanted)
        if self.load_now and not self._loaded():
            # RunAtLoad makes bootstrap start the tray now, as the next login would.
            code, out = self.runner(["launchctl", "bootstrap", self.domain, self._path])
            if code != 0:
                raise AutostartError(f"launchctl could not load {self._path} ({out or code}); it will still "
                                     "start at your next login.")
        if not changed:
            return f"Launch at login is already on ({self._path})."
        import shlex  # lazily: only enable shows the command

        return f"Launch at login is on: {self._path} runs `{shlex.join(self.command())}` when you log in."

    def disable(self) -> str:
        agent = self._read()
        if agent is None:
            return "Launch at login was already off."
        if agent.get("Label") != self.label:
            raise AutostartError(f"{self._path} was not written by claude-tray, so it was left alone; "
                                 "delete it yourself.")
        if self.load_now and self._loaded():
            # Booting out stops the tray launchd started: only when the caller asked for it.
            self.runner(["launchctl", "bootout", f"{self.domain}/{self.label}"])
        return files.remove(self._path)
