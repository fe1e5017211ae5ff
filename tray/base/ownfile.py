"""Opening the user's own files without following what someone else planted (SPEC §8). Standard library only.

The cache, its locks, its temp files and Claude Code's credentials are opened here: never through a symbolic
link (O_NOFOLLOW), never blocking on a FIFO or a device (O_NONBLOCK, and a look before the open so a device
is not even opened), and used only when what was opened is a regular file that belongs to the user. A cache
folder that others can write is refused, since anyone could plant a file in it.

`claude-tray statusline` opens the cache through this module on every prompt: nothing imported beyond `os`
(which already loaded `stat`) and `errno`.
"""

from __future__ import annotations

import errno
import os
import stat

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_EXTRA = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_geteuid = getattr(os, "geteuid", None)  # Windows: no owners in mode bits (ACLs decide)


class UnsafeFile(OSError):
    """What is at the path is not the user's own regular file: a link, a FIFO, a device, someone else's file.

    `reason` completes "<path> …": "is a symbolic link", "is a FIFO, not a regular file", …
    An OSError, so a caller that reads anything odd as "no data" keeps doing so.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(errno.EPERM, reason, path)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path} {self.reason}"


def open_own(path: str | os.PathLike[str], flags: int = os.O_RDONLY, mode: int = 0o600) -> int:
    """`os.open` of the user's own regular file (created with `mode` when `flags` ask for it).

    Raises UnsafeFile when the path is a symbolic link, not a regular file, or someone else's; any other
    OSError as `os.open` does (FileNotFoundError, PermissionError…).
    """
    text = os.fspath(path)
    try:
        before = os.lstat(text)
    except FileNotFoundError:
        before = None
        if not flags & os.O_CREAT:
            raise
    if before is not None:
        problem = _problem(before)
        if problem:
            raise UnsafeFile(text, problem)
    try:
        fd = os.open(text, flags | _NOFOLLOW | _NONBLOCK | _EXTRA, mode)
    except OSError as failure:
        if failure.errno in (errno.ELOOP, errno.EMLINK, errno.ENXIO):  # swapped for a link / FIFO meanwhile
            raise UnsafeFile(text, "is not a regular file (it changed while being opened)") from None
        raise
    try:
        problem = _problem(os.fstat(fd))
    except OSError:
        os.close(fd)
        raise
    if problem:
        os.close(fd)
        raise UnsafeFile(text, problem)
    return fd


def read_own(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most `limit` bytes of the user's own regular file (see `open_own` for what raises)."""
    fd = open_own(path)
    try:
        chunks: list[bytes] = []
        left = limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_own_upto(path: str | os.PathLike[str], most: int) -> bytes | None:
    """The whole of the user's own regular file, or None when it cannot be read, is not safe to read
    (`open_own`) or holds more than `most` bytes."""
    try:
        raw = read_own(path, most + 1)
    except (OSError, ValueError):
        return None
    return raw if len(raw) <= most else None


def replace_with(path: str, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data` whole: a temp file of ours in the same folder (never through a planted link),
    fsynced, given `mode`, renamed over `path`. Raises OSError with the old file intact and no temp file left."""
    folder, name = os.path.split(path)
    temp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _EXTRA, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode != 0o600:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def folder_problem(folder: str) -> str | None:
    """Why files in `folder` cannot be trusted, completing "<folder> …", or None when it is the user's own.

    Others able to write it (0777, a shared /tmp, sticky or not) could plant any file there. A folder
    owned by another user (root excepted: system folders are root's) is theirs to plant in.
    """
    if _geteuid is None:
        return None
    try:
        st = os.stat(folder)
    except OSError:
        return None  # a missing folder is created 0700; an unreadable one fails when used, with its own error
    mode = stat.S_IMODE(st.st_mode)
    if mode & stat.S_IWOTH:
        return f"can be written by every user of this computer (mode {mode:04o})"
    if st.st_uid not in (_geteuid(), 0):
        return f"belongs to another user (uid {st.st_uid})"
    return None


def _problem(st: os.stat_result) -> str | None:
    kind = stat.S_IFMT(st.st_mode)
    if kind != stat.S_IFREG:
        return _KINDS.get(kind, "is not a regular file")
    if _geteuid is not None and st.st_uid != _geteuid():
        return f"belongs to another user (uid {st.st_uid}), not to you"
    return None


_KINDS = {
    stat.S_IFLNK: "is a symbolic link, not a regular file",
    stat.S_IFIFO: "is a FIFO, not a regular file",
    stat.S_IFCHR: "is a device, not a regular file",
    stat.S_IFBLK: "is a device, not a regular file",
    stat.S_IFSOCK: "is a socket, not a regular file",
    stat.S_IFDIR: "is a folder, not a regular file",
}
