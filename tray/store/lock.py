"""The sidecar lock every writer of the shared cache takes (SPEC §3). Standard library only.

The lock lives in its own file (`.usage_cache.lock`) rather than on the cache itself because writers
replace the cache with `os.replace`: a lock held on the old inode would no longer guard the new one.
Readers never lock. oh-my-claude does not know about this lock; that is why our writes are atomic
replacements and our readers tolerate its half-written files.
"""

from __future__ import annotations

import errno
import os
import sys
import time

from tray.errors import CacheError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

DEFAULT_TIMEOUT_S = 5.0
_POLL_S = 0.02  # short enough that a waiting writer follows a quick one almost at once


class FileLock:
    """An exclusive inter-process lock on `lock_file`, taken with a timeout.

    Use as a context manager. Locks are per open file, so two `FileLock`s on the same path exclude each
    other even inside one process (the tray's worker thread and its tick). Not re-entrant.
    """

    def __init__(self, lock_file: str | os.PathLike[str], timeout: float = DEFAULT_TIMEOUT_S) -> None:
        # Text, not Path: the running tray takes this lock on every cache write and never loads pathlib.
        self.lock_file = os.fspath(lock_file)
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError("FileLock is not re-entrant")
        fd = open_lock_file(self.lock_file)
        deadline = time.monotonic() + max(0.0, self.timeout)
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise CacheError(
                        f"The usage cache {os.path.splitext(self.lock_file)[0]} is locked by another process "
                        f"(waited {self.timeout:g} s); try again in a moment."
                    )
                time.sleep(_POLL_S)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)  # closing releases the lock anyway; unlocking first is just explicit

    @property
    def locked(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def open_lock_file(path: str) -> int:
    """The lock file's descriptor, created 0600 when missing; never through a link (SPEC §8).

    A link where the lock should be was planted (no writer of ours makes one), and following it could
    create a file anywhere or make us wait on a file someone else holds: it is removed and a lock of our
    own made in its place. A FIFO, a device or someone else's file is refused in one sentence.
    """
    from tray.base.ownfile import UnsafeFile, open_own

    for attempt in range(2):
        try:
            # 0600: the lock file sits in the 0700 cache folder and holds nothing, but nobody else needs it.
            return open_own(path, os.O_RDWR | os.O_CREAT, 0o600)
        except UnsafeFile as unsafe:
            if attempt == 0 and os.path.islink(path):
                try:
                    os.unlink(path)  # the link itself, never what it points to
                except FileNotFoundError:
                    pass  # another writer of ours removed it first
                except OSError:
                    pass  # the open below says why
                continue
            raise CacheError(
                f"The cache lock {unsafe}, so it is not used: remove it (`rm {path}`); the next write makes "
                "a new one."
            ) from None
        except OSError as e:
            raise CacheError(
                f"Could not open the cache lock {path} ({e.strerror or e}); check that folder's permissions."
            ) from e
    raise AssertionError("unreachable")


def _try_lock(fd: int) -> bool:
    """Take the lock without blocking; False when another holder has it."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as e:
        # EWOULDBLOCK/EAGAIN are "held"; anything else (ENOLCK on odd filesystems) is a real failure.
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise CacheError(f"Could not lock the usage cache ({e.strerror or e}).") from e
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass  # closing the handle releases it too
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)
