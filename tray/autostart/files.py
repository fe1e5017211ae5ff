"""Writing one small file so that a crash or a full disk never leaves half an entry behind."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from tray.errors import AutostartError


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` through a temp file in the same folder and `os.replace`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # lazily: it pulls in shutil, bz2 and lzma

        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise AutostartError(f"Could not create {path.parent} ({e.strerror}); check that folder's "
                             "permissions and try again.") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # Session managers read these files as the user; mkstemp's 0600 would be fine, but a
        # conventional 0644 keeps them looking like every other entry in the folder.
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise AutostartError(f"Could not write {path} ({e.strerror}); check free space and that "
                             "folder's permissions, then try again.") from e


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist. Unreadable files raise AutostartError."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise AutostartError(f"Could not read {path} ({e}); fix or delete that file and try again.") from e


def remove(path: Path) -> str:
    """Delete our entry (already gone is fine) and say so; a failure raises AutostartError."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:
        raise AutostartError(f"Could not remove {path} ({e}); delete it by hand.") from e
    return f"Launch at login is off (removed {path})."
