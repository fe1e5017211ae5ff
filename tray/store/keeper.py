"""Our section, kept through oh-my-claude's whole-file rewrites (SPEC §3 "harmless"). Standard library only.

oh-my-claude's updater writes the cache with `cat > file` (no lock, no temp file) and keeps only `code`, `pro`
and `updated_at`: our `tray` key — gate, notifications sent, history, paces, settings, plan, per-model windows
— is gone after each of its runs. A running tray remembers the last section it saw or wrote (`Sections`, its
reader's), puts it back under the lock before any write of its own (`put_back`, in `tray.store.cache.update_cache`)
and at its next tick (`CacheReader.keep`, tray/store/reader.py), and takes oh-my-claude's fresh `pro` in as a reading
(its `pro: null` as a request it made), so the machine still asks the endpoint once per interval.

oh-my-claude runs its updater only while the file looks at least 60 s old. With it present (the file holds
`code`), a write of ours keeps the file's modification time (`stamp_to_keep`, `keep_stamp`) unless it claims a
request of our own: then the fresh time tells oh-my-claude that the machine's request of this interval is made.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from typing import Any

    from tray.model.state import CachedState


class Sections:
    """The running tray's memory of its section, per cache file: the last `tray` section it saw in the file or
    wrote (`seen`), put back before any write of its own (`put_back`). Owned by the tray's reader
    (tray.store.reader.CacheReader, `sections`) and passed down to each write (`cache.update_cache(kept=…)`);
    short-lived commands (status line, `refresh`) have none and remember nothing."""

    __slots__ = ("_sections",)

    def __init__(self) -> None:
        self._sections: dict[str, dict[str, Any]] = {}  # cache path -> its last section seen or written

    def seen(self, path: str | os.PathLike[str], raw: Mapping[str, Any]) -> None:
        """The file as read (or written): its section, when it has one, is the newest we know."""
        section = raw.get("tray") if isinstance(raw, dict) else None
        if isinstance(section, dict):
            self._sections[os.fspath(path)] = section

    def remembers(self, path: str) -> bool:
        """Whether a section of `path` is remembered (to put back after a foreign rewrite)."""
        return path in self._sections

    def put_back(self, path: str, current: dict[str, Any]) -> dict[str, Any]:
        """`current` (the file as re-read under the lock) with our remembered section when a foreign rewrite
        dropped it; unchanged otherwise (nothing remembered, our section there, or no file at all)."""
        section = self._sections.get(path)
        if section is None or not current or "tray" in current:
            return current
        import copy

        return {**current, "tray": copy.deepcopy(section)}


def stamp_to_keep(path: str, current: Mapping[str, Any], changes: Mapping[str, Any]) -> tuple[int, int] | None:
    """The file's (atime, mtime) to put back after this write, or None to let it be new.

    Kept when oh-my-claude is present (`code`) and the write does not claim a request of ours (a new
    `gate.last_attempt_at`): so its updater keeps its own cadence, never starved by our rewrites.
    """
    if "code" not in current:
        return None
    if _attempt(changes.get("tray")) not in (None, _attempt(current.get("tray"))):
        return None
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_atime_ns, st.st_mtime_ns)


def keep_stamp(path: str, stamp: tuple[int, int] | None) -> None:
    if stamp is None:
        return
    try:
        os.utime(path, ns=stamp)
    except (OSError, ValueError, NotImplementedError):
        pass  # best effort: a filesystem that refuses only costs oh-my-claude one update


def _attempt(section: object) -> object:
    gate = section.get("gate") if isinstance(section, dict) else None
    return gate.get("last_attempt_at") if isinstance(gate, dict) else None


def peer_news(state: CachedState, raw: Mapping[str, Any]) -> bool:
    """oh-my-claude wrote since our last reading: a `pro` we have not taken in, or a failed fetch of its own."""
    return _fresh_pro(state, raw) or _failed_peer_fetch(state, raw) is not None


def _fresh_pro(state: CachedState, raw: Mapping[str, Any]) -> bool:
    """The state shows oh-my-claude's `pro` (newer than our section's reading), not yet in our section."""
    from tray.base.timeparse import parse_timestamp

    if "code" not in raw or raw.get("pro") is None or state.fetched_at is None:
        return False
    section = raw.get("tray")
    ours = parse_timestamp(section.get("fetched_at")) if isinstance(section, dict) else None
    return ours is None or state.fetched_at > ours


def _failed_peer_fetch(state: CachedState, raw: Mapping[str, Any]) -> datetime | None:
    """When oh-my-claude wrote `pro: null` after our reading: the moment of its (failed) request."""
    from tray.base.timeparse import parse_timestamp

    if "code" not in raw or raw.get("pro") is not None:
        return None
    updated = parse_timestamp(raw.get("updated_at"))
    if updated is None or (state.fetched_at is not None and updated <= state.fetched_at):
        return None
    known = state.gate.peer_attempt_at
    return updated if known is None or updated > known else None


def take_in_peer(current: CachedState, raw: Mapping[str, Any]) -> CachedState:
    """`current` (read from `raw`) with oh-my-claude's news taken in: its fresh `pro` as our reading, appended
    to the history (so pace starts, and it stays on screen after a `pro: null`), its failed fetch recorded for
    the gate."""
    from tray.base.values import replace
    from tray.store.history import append_reading

    if _fresh_pro(current, raw) and current.usage is not None and current.fetched_at is not None:
        current = replace(current, source="oh-my-claude",
                          history=append_reading(current.history, current.usage, current.fetched_at))
    failed = _failed_peer_fetch(current, raw)
    if failed is not None:
        current = replace(current, gate=replace(current.gate, peer_attempt_at=failed))
    return current
