"""The command a login session should run: the really-installed entry point, never a temp or build path."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from tray.errors import AutostartError


def launch_command(
    extra_args: Sequence[str] = (),
    *,
    executable: str | None = None,
    frozen: bool | None = None,
    platform: str | None = None,
    temp_dir: str | None = None,
) -> tuple[str, ...]:
    """argv that starts the tray the way it is installed, with `extra_args` after `run`.

    Frozen (PyInstaller, py2app): the executable itself. Else the `claude-tray` script in the same bin
    directory as the interpreter (a venv or pipx install); on Windows the GUI launchers
    (`claude-tray-gui.exe`, then `pythonw.exe -m tray`) so no console window opens at login. Last resort:
    `python -m tray run`. The defaults come from `sys`; tests pass them in.
    """
    executable = sys.executable if executable is None else executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    platform = sys.platform if platform is None else platform
    if not executable:
        raise AutostartError("Cannot tell which program to start at login (this Python has no executable path); "
                             "add `claude-tray run` to your startup programs by hand.")
    exe = Path(executable)
    if frozen:
        argv = [executable]
    elif platform == "win32":
        argv = _windows_launcher(exe)
    else:
        script = exe.with_name("claude-tray")
        argv = [str(script)] if script.is_file() else [executable, "-m", "tray"]
    _refuse_transient(argv[0], temp_dir)
    return (*argv, "run", *extra_args)


def _windows_launcher(exe: Path) -> list[str]:
    # `claude-tray.exe` is a console launcher: it would flash a console window at every login.
    gui_script = exe.with_name("claude-tray-gui.exe")
    if gui_script.is_file():
        return [str(gui_script)]
    pythonw = exe.with_name("pythonw.exe")
    if pythonw.is_file():
        return [str(pythonw), "-m", "tray"]
    return [str(exe), "-m", "tray"]


def _refuse_transient(program: str, temp_dir: str | None) -> None:
    """A login entry pointing into a temp or build folder breaks as soon as that folder is cleaned."""
    path = Path(program)
    import tempfile  # lazily: it pulls in shutil, bz2 and lzma

    temp = Path(tempfile.gettempdir() if temp_dir is None else temp_dir)
    try:
        # Both the path as given (a venv's `python` symlink) and its target must be outside temp.
        candidates, temp_resolved = {path.absolute(), path.resolve()}, temp.resolve()
    except OSError:
        candidates, temp_resolved = {path}, temp
    in_temp = any(temp_resolved == p or temp_resolved in p.parents for p in candidates)
    # PyInstaller one-file unpacks into `_MEI…`; setuptools and PyInstaller build into `build/`; macOS runs
    # a quarantined app from a random read-only `AppTranslocation` copy until it is moved to /Applications.
    in_build = any(part in ("build", "AppTranslocation") or part.startswith("_MEI") for part in path.parts[:-1])
    if in_temp or in_build:
        raise AutostartError(
            f"Not registering {program} to start at login: it is in a temporary or build folder that will "
            "go away; install claude-tray for good (from its source folder: `pipx install '.[gtk]'`, or the "
            ".deb) and enable launch at login from the installed `claude-tray`."
        )
