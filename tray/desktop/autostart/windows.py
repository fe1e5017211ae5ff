"""Windows: a value under `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`.

`winreg` is imported inside `WinRegRegistry`'s methods so this module imports, and the backend is
tested through an in-memory `Registry` (tests/test_autostart.py), on every system. Task Manager's Startup
tab and Settings → Apps → Startup do not delete a Run value to switch it off: they write a binary value of the
same name under `Explorer\\StartupApproved\\Run` whose first byte is odd (0x03; 0x02 is on). That choice is
the user's: status reports it and enable never overwrites it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from typing import Protocol, Union

from tray.desktop.autostart.base import APP_ID, AutostartBackend, AutostartState, AutostartStatus, CommandSource
from tray.errors import AutostartError

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
RegistryValue = Union[str, bytes]
_NO_REGISTRY = "There is no Windows registry on this system."


class Registry(Protocol):
    """Values under HKEY_CURRENT_USER; `key` is a path below it. Missing keys or values read as None."""

    def get(self, key: str, name: str) -> RegistryValue | None: ...

    def set(self, key: str, name: str, value: str) -> None: ...

    def delete(self, key: str, name: str) -> None: ...


class WinRegRegistry:
    """The real HKEY_CURRENT_USER (Windows only: elsewhere each method raises AutostartError)."""

    def get(self, key: str, name: str) -> RegistryValue | None:
        if sys.platform != "win32":
            raise AutostartError(_NO_REGISTRY)
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                value, _kind = winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        return value if isinstance(value, (str, bytes)) else None

    def set(self, key: str, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise AutostartError(_NO_REGISTRY)
        import winreg

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        if sys.platform != "win32":
            raise AutostartError(_NO_REGISTRY)
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            pass


def command_line(argv: Sequence[str]) -> str:
    """The Run value: one command line quoted by the MS C runtime rules Explorer's CreateProcess uses."""
    return subprocess.list2cmdline(list(argv))


def program_of(command: str) -> str:
    if command.startswith('"'):
        return command[1:].partition('"')[0]
    return command.partition(" ")[0]


class RunKeyAutostart(AutostartBackend):
    name = "windows-run-key"

    def __init__(self, command: CommandSource, *, registry: Registry | None = None,
                 value_name: str = APP_ID) -> None:
        self._command = command
        self.registry: Registry = WinRegRegistry() if registry is None else registry
        self.value_name = value_name

    @property
    def location(self) -> str:
        return f"HKCU\\{RUN_KEY}\\{self.value_name}"

    def _switched_off_by_user(self) -> bool:
        approved = self.registry.get(APPROVED_KEY, self.value_name)
        return isinstance(approved, bytes) and len(approved) > 0 and approved[0] % 2 == 1

    def _user_off_detail(self) -> str:
        return ("Launch at login was turned off in Task Manager → Startup apps (or Settings → Apps → Startup); "
                "turn claude-usage-tray back on there.")

    def status(self) -> AutostartStatus:
        try:
            value = self.registry.get(RUN_KEY, self.value_name)
            switched_off = self._switched_off_by_user()
        except OSError as e:
            return AutostartStatus(AutostartState.DISABLED, f"Could not read {self.location} ({e}).", self.location)
        if not isinstance(value, str) or not value.strip():
            return AutostartStatus(AutostartState.DISABLED, f"Launch at login is off (no {self.location}).",
                                   self.location)
        if switched_off:
            return AutostartStatus(AutostartState.DISABLED_BY_USER, self._user_off_detail(), self.location)
        return AutostartStatus.from_entry(program_of(value), self.location, self.location)

    def enable(self) -> str:
        try:
            if self._switched_off_by_user():
                raise AutostartError(self._user_off_detail())
            wanted = command_line(self.command())
            if self.registry.get(RUN_KEY, self.value_name) == wanted:
                return f"Launch at login is already on ({self.location})."
            self.registry.set(RUN_KEY, self.value_name, wanted)
        except OSError as e:
            raise AutostartError(f"Could not write {self.location} ({e}).") from e
        return f"Launch at login is on: {self.location} runs `{command_line(self.command())}` when you sign in."

    def disable(self) -> str:
        try:
            if self.registry.get(RUN_KEY, self.value_name) is None:
                return "Launch at login was already off."
            # StartupApproved stays as it is: it records the user's own switch, not ours.
            self.registry.delete(RUN_KEY, self.value_name)
        except OSError as e:
            raise AutostartError(f"Could not remove {self.location} ({e}).") from e
        return f"Launch at login is off (removed {self.location})."

