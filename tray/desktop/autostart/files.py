"""Writing one small file so that a crash or a full disk never leaves half an entry behind.

Paths are text (os.path), not pathlib: the running tray reads its entry here for the menu's check mark, and
pathlib with what it imports (urllib.parse, ipaddress, fnmatch, ntpath) costs it ~0.6 MB of RSS.
"""

from __future__ import annotations

import os

from tray.errors import AutostartError


def write_atomically(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` through a temp file in the same folder and `os.replace`."""
    from tray.base.ownfile import replace_with

    path = os.fspath(path)
    folder = os.path.dirname(path) or os.curdir
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise AutostartError(f"Could not create {folder} ({e.strerror}); check that folder's "
                             "permissions and try again.") from e
    try:
        # Session managers read these files as the user; 0600 would be fine, but a conventional 0644 keeps
        # them looking like every other entry in the folder.
        replace_with(os.path.join(folder, os.path.basename(path)), data, mode)
    except OSError as e:
        raise AutostartError(f"Could not write {path} ({e.strerror}); check free space and that "
                             "folder's permissions, then try again.") from e


def read_bytes(path: str | os.PathLike[str]) -> bytes | None:
    """The file's bytes, or None when it does not exist. Unreadable files raise AutostartError."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise AutostartError(f"Could not read {os.fspath(path)} ({e}); fix or delete that file and try again.") from e


def read_text(path: str | os.PathLike[str]) -> str | None:
    """The file's text, or None when it does not exist. Unreadable files raise AutostartError."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise AutostartError(f"Could not read {os.fspath(path)} ({e}); fix or delete that file and try again.") from e


def remove(path: str | os.PathLike[str]) -> str:
    """Delete our entry (already gone is fine) and say so; a failure raises AutostartError."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        raise AutostartError(f"Could not remove {os.fspath(path)} ({e}); delete it by hand.") from e
    return f"Launch at login is off (removed {os.fspath(path)})."

