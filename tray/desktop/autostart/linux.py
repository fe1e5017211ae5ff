"""XDG Autostart: `$XDG_CONFIG_HOME/autostart/claude-usage-tray.desktop` (Linux and the BSDs).

Start-up delay: we write `X-GNOME-Autostart-Delay` / `X-MATE-Autostart-Delay` rather than wrapping
Exec in `sh -c "sleep 5; exec …"`. The keys are read by the session managers that start autostart
entries before their panel (GNOME, Cinnamon, MATE); the others ignore them harmlessly. A shell wrapper
would delay every desktop, show `sh` instead of our command in the desktop's startup settings (where
users toggle it), add a second quoting layer, and still not guarantee a panel: the tray itself must
cope with a tray host that appears late.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from tray.desktop.autostart import files
from tray.desktop.autostart.base import (
    APP_ID,
    AutostartBackend,
    AutostartState,
    AutostartStatus,
    CommandSource,
    is_missing_program,
)
from tray.desktop.autostart.desktop_entry import (
    escape_string,
    format_desktop_entry,
    is_false,
    is_true,
    parse_desktop_entry,
    quote_exec,
    unescape_string,
)
from tray.desktop.autostart.files import read_text, write_atomically
from tray.errors import AutostartError

# Our files carry this key, so `disable` can tell them from an entry the user wrote by hand.
MARKER_KEY = "X-Claude-Usage-Tray-Managed"
DELAY_SECONDS = 5


def xdg_config_home_str(env: Mapping[str, str], home: str | os.PathLike[str]) -> str:
    """$XDG_CONFIG_HOME, else ~/.config; as text, without pathlib (the running tray asks for its check mark)."""
    # XDG Base Directory spec: a relative $XDG_CONFIG_HOME is invalid and must be ignored.
    configured = env.get("XDG_CONFIG_HOME", "")
    return configured if configured and os.path.isabs(configured) else os.path.join(os.fspath(home), ".config")


def xdg_data_home_str(env: Mapping[str, str], home: str | os.PathLike[str]) -> str:
    """Where `enable` may draw the themed icon (tray.desktop.autostart.icon), as text like the config home."""
    # XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and must be ignored.
    configured = env.get("XDG_DATA_HOME", "")
    return configured if configured and os.path.isabs(configured) else os.path.join(os.fspath(home), ".local", "share")


def desktop_entry_text(command: Sequence[str], delay_seconds: int = DELAY_SECONDS, icon: str | None = None) -> str:
    """The autostart entry for `command`, valid for `desktop-file-validate`; `Icon=` only when `icon` is
    installed in the icon theme (tray.desktop.autostart.icon)."""
    pairs = [
        ("Type", "Application"),
        ("Name", "Claude Usage Tray"),
        ("Comment", "Show your Claude subscription's 5-hour and weekly limits in the system tray"),
        ("Exec", quote_exec(command)),
        # The session skips the entry when the program is gone (uninstalled) instead of failing.
        ("TryExec", escape_string(command[0])),
        *([("Icon", icon)] if icon else []),
        ("Terminal", "false"),
        ("StartupNotify", "false"),
        ("X-GNOME-Autostart-enabled", "true"),
        ("X-GNOME-Autostart-Delay", str(delay_seconds)),
        ("X-MATE-Autostart-Delay", str(delay_seconds)),
        (MARKER_KEY, "true"),
    ]
    return format_desktop_entry(pairs)


class XdgAutostart(AutostartBackend):
    name = "xdg-autostart"

    def __init__(self, command: CommandSource, *, config_home: str | os.PathLike[str], entry_id: str = APP_ID,
                 delay_seconds: int = DELAY_SECONDS, data_home: str | None = None) -> None:
        self._command = command
        # where `enable` may draw the themed icon if no install brought it (None: only look for one)
        self._data_home = data_home
        self._path = os.path.join(os.fspath(config_home), "autostart", f"{entry_id}.desktop")
        self.delay_seconds = delay_seconds

    @property
    def location(self) -> str:
        return self._path

    def status(self) -> AutostartStatus:
        try:
            text = read_text(self._path)
        except AutostartError as e:
            return AutostartStatus(AutostartState.DISABLED, str(e), self.location)
        return self._status_of(text)

    def _status_of(self, text: str | None) -> AutostartStatus:
        if text is None:
            return AutostartStatus(AutostartState.DISABLED, f"Launch at login is off (there is no {self._path}).",
                                   self.location)
        entries = parse_desktop_entry(text)
        if is_true(entries, "Hidden") or is_false(entries, "X-GNOME-Autostart-enabled"):
            switch = "Hidden=true" if is_true(entries, "Hidden") else "X-GNOME-Autostart-enabled=false"
            return AutostartStatus(
                AutostartState.DISABLED_BY_USER,
                f"Launch at login was turned off in your desktop's startup settings ({switch} in {self._path}); "
                "turn it back on there, or delete that file and run `claude-tray autostart enable`.",
                self.location,
            )
        program = unescape_string(entries.get("TryExec", ""))
        if program and is_missing_program(program):
            return AutostartStatus(
                AutostartState.DISABLED,
                f"Launch at login is off: {self._path} starts {program}, which no longer exists; "
                "run `claude-tray autostart enable` again.",
                self.location,
            )
        if not is_true(entries, MARKER_KEY):
            return AutostartStatus(AutostartState.ENABLED,
                                   f"Launch at login is on through {self._path}, which claude-tray did not write.",
                                   self.location)
        return AutostartStatus(AutostartState.ENABLED, f"Launch at login is on ({self._path}).", self.location)

    def enable(self) -> str:
        text = read_text(self._path)
        current = self._status_of(text)
        if current.state is AutostartState.DISABLED_BY_USER:
            raise AutostartError(current.detail)
        if text is not None and not is_true(parse_desktop_entry(text), MARKER_KEY):
            if current.enabled:
                return (f"Launch at login is already on through {self._path}, which claude-tray did not write; "
                        "left as it is.")
            raise AutostartError(f"{self._path} was not written by claude-tray and does not work; "
                                 "delete it, then run `claude-tray autostart enable` again.")
        from tray.desktop.autostart.icon import ensure_icon

        wanted = desktop_entry_text(self.command(), self.delay_seconds, icon=ensure_icon(self._data_home, os.environ))
        if text == wanted:
            return f"Launch at login is already on ({self._path})."
        write_atomically(self._path, wanted.encode("utf-8"))
        import shlex  # lazily: only enable shows the command, and the running tray has no other use for it

        return f"Launch at login is on: {self._path} runs `{shlex.join(self.command())}` when you log in."

    def disable(self) -> str:
        text = read_text(self._path)
        if text is None:
            return "Launch at login was already off."
        if not is_true(parse_desktop_entry(text), MARKER_KEY):
            raise AutostartError(f"{self._path} was not written by claude-tray, so it was left alone; delete it "
                                 "yourself or turn it off in your desktop's startup settings.")
        return files.remove(self._path)
