"""The credentials file, `<config dir>/.credentials.json`: read-only, never written (SPEC §2)."""

from __future__ import annotations

import os
import stat

from tray.errors import CredentialsMalformed, CredentialsMissing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# Claude Code's file is a few hundred bytes; anything this big is not it, and reading it whole could hurt.
MAX_BYTES = 1024 * 1024


def read_credentials_text(path: Path | str) -> str | None:
    """The file's text, or None when there is no file. Opens read-only: never creates or touches it."""
    from tray.base.ownfile import UnsafeFile, read_own

    try:
        # Not through a link, never blocking on a FIFO or device, only the user's own file (SPEC §8).
        raw = read_own(path, MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except UnsafeFile as unsafe:
        raise CredentialsMalformed(
            f"{unsafe}, so it is not read as Claude Code's credentials: remove it and run `claude` to sign in."
        ) from None
    except OSError as problem:
        raise CredentialsMissing(
            f"Claude Code's credentials at {path} cannot be read ({problem.strerror or 'error'}): "
            f"make the file yours and readable by you, e.g. `chmod 600 {path}`."
        ) from None
    if len(raw) > MAX_BYTES:
        raise CredentialsMalformed(
            f"{path} is larger than any Claude Code credentials file: run `claude` and sign in again."
        )
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")  # a BOM from a Windows editor; "utf-8-sig" is a codec import
    except UnicodeDecodeError:
        raise CredentialsMalformed(
            f"Claude Code's credentials in {path} are not UTF-8 text: run `claude` once so it rewrites them."
        ) from None


def credentials_mode_warning(path: Path | str) -> str | None:
    """A warning when the credentials file is readable by group or others, else None.

    Windows has no such mode bits (ACLs decide), so there is nothing to say there.
    """
    if os.name == "nt":
        return None
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    readers = (("group", stat.S_IRGRP), ("others", stat.S_IROTH))
    who = " and ".join(name for name, bit in readers if mode & bit)
    return (
        f"{path} is readable by {who} (mode {mode:04o}), so they can use your Claude sign-in: "
        f"run `chmod 600 {path}`."
    )
