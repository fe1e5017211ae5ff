"""What was worked out from a file, kept while the file stays the same. Standard library only.

Claude Code's `~/.claude.json` (its cached figures, the signed-in account) is often megabytes of projects and
changes far less often than the running tray looks at it (every fetch cycle, every share check): the tray owns
one `FileMemo` (`TrayApp.files`) and passes it down; `claude-tray refresh` owns one for its one cycle. Without
one, a function reads the file afresh, as the status line and `status` do.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    _T = TypeVar("_T")


class FileMemo:
    """Each (path, what) -> the value last worked out from the file, while its device, inode, size and
    modification time stay the same."""

    __slots__ = ("_kept",)

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], tuple[tuple[int, ...], Any]] = {}

    def get(self, path: str, what: str, work: Callable[[], _T]) -> _T | None:
        """`work()`'s value for `path` as it is now: kept from the last call while the file is unchanged.
        None when the file cannot be looked at (missing, unreadable folder)."""
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        signature = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        known = self._kept.get((path, what))
        if known is not None and known[0] == signature:
            value: _T = known[1]
            return value
        value = work()
        self._kept[(path, what)] = (signature, value)
        return value
