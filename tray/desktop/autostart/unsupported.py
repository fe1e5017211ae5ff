"""The explicit "not here" backend (after keyring's `backends/fail.py`): every change says what to do by hand."""

from __future__ import annotations

from tray.desktop.autostart.base import AutostartBackend, AutostartState, AutostartStatus, CommandSource
from tray.errors import AutostartError


class UnsupportedAutostart(AutostartBackend):
    name = "unsupported"
    supported = False

    def __init__(self, platform: str, command: CommandSource = ("claude-tray", "run")) -> None:
        self.platform = platform
        self._command = command

    @property
    def location(self) -> str:
        return ""

    def _shown_command(self) -> str:
        import shlex  # lazily: the running tray has no other use for it

        try:
            return shlex.join(self.command())
        except AutostartError:
            return "claude-tray run"

    def _by_hand(self) -> str:
        return (f"Launch at login is not supported on {self.platform}; add `{self._shown_command()}` to "
                "your session's startup programs by hand.")

    def enable(self) -> str:
        raise AutostartError(self._by_hand())

    def disable(self) -> str:
        raise AutostartError(f"Launch at login is not supported on {self.platform}; if you added "
                             f"`{self._shown_command()}` to your session's startup programs, remove it there.")

    def status(self) -> AutostartStatus:
        return AutostartStatus(AutostartState.UNSUPPORTED, self._by_hand(), self.location)
