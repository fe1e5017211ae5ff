"""The one shape every launch-at-login backend has (SPEC §7), after platformdirs' `api.py`.

Contract, proved for every backend by one test class (tests/test_autostart.py):
- `enable()` leaves the system so the tray starts at the next login, or raises `AutostartError`;
  calling it again changes nothing. It never overrides a switch the user turned off in the desktop's own
  settings (`DISABLED_BY_USER`): it raises and says where to turn it back on.
- `disable()` removes only what we wrote; calling it when nothing is there is fine.
- `status()` reads the truth from the system each time; it never raises for an unreadable entry.
All three return or carry one plain sentence for the CLI and the menu. None of them starts or stops a
running tray unless a backend documents an opt-in for it (macOS `load_now`).

`status()` runs inside the tray (the check mark), so this package keeps paths as text and imports neither
pathlib nor anything else the tray has not loaded already (~0.6 MB of RSS); enable/disable may import lazily.
"""

from __future__ import annotations

import enum
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Callable, Union

from tray.base.values import record

APP_ID = "claude-usage-tray"
# argv, or a function that finds it: finding it can fail (a temp venv), and only `enable` needs it.
CommandSource = Union[Sequence[str], Callable[[], Sequence[str]]]


def is_missing_program(program: str) -> bool:
    """True when `program` is an absolute path to nothing: the entry starts a program that was uninstalled.

    `os.path.isabs` and `os.path.exists` stand in for `Path.is_absolute` and `Path.exists`; on Windows a path
    needs a drive as well to count as absolute (`\\x` is on whichever drive is current), as for pathlib.
    """
    absolute = os.path.isabs(program) and (os.name != "nt" or bool(os.path.splitdrive(program)[0]))
    return absolute and not os.path.exists(program)


def resolve_command(source: CommandSource) -> tuple[str, ...]:
    return tuple(source() if callable(source) else source)


class AutostartState(str, enum.Enum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    # The entry is ours but the desktop's own startup settings turned it off (XDG `Hidden=true` or
    # `X-GNOME-Autostart-enabled=false`, Windows StartupApproved, launchd's disabled list).
    DISABLED_BY_USER = "disabled_by_user"
    UNSUPPORTED = "unsupported"


@record
class AutostartStatus:
    state: AutostartState
    detail: str  # one sentence a person can act on
    location: str  # the file or registry value that decides it; "" when there is none

    @property
    def enabled(self) -> bool:
        """What the menu's "Launch at login" check mark shows."""
        return self.state is AutostartState.ENABLED

    @classmethod
    def from_entry(cls, program: str, where: str, location: str) -> AutostartStatus:
        """What an entry of ours at `where` that starts `program` means: on, or off when the program is gone."""
        if not program or is_missing_program(program):
            return cls(
                AutostartState.DISABLED,
                f"Launch at login is off: {where} starts {program or 'nothing'}, which does not exist; "
                "run `claude-tray autostart enable` again.",
                location,
            )
        return cls(AutostartState.ENABLED, f"Launch at login is on ({where}).", location)


class AutostartBackend(ABC):
    """Launch at login on one kind of system. Cheap to construct: nothing is touched before a call."""

    name: str = "base"
    # False only for the unsupported backend: callers ask this instead of sniffing the platform.
    supported: bool = True
    _command: CommandSource = ()

    def command(self) -> tuple[str, ...]:
        """The argv registered to run at login; found on first use, so finding it can raise AutostartError."""
        return resolve_command(self._command)

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the entry lives (a path or a registry value), for messages and `doctor`."""

    @abstractmethod
    def enable(self) -> str:
        """Register the tray to start at login; return what was done, in one sentence."""

    @abstractmethod
    def disable(self) -> str:
        """Remove our registration; return what was done, in one sentence."""

    @abstractmethod
    def status(self) -> AutostartStatus:
        """Read from the system whether the tray will start at the next login."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.location}>"
