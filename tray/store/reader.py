"""The running tray's reads of the cache, remembered by the one object that owns them (`TrayApp.reader`).

Everything below it is pure: `cache.read_state` parses the file it is given, every time. A tray reads the
same file every minute (and the worker before every fetch), so this reader keeps what it parsed last:

- an unchanged file (same device, inode, size, mtime and ctime) is not parsed again: an 8-day cache of
  ~1,800 readings costs ~7 ms to parse, and it changes about once a minute at most;
- a changed file reuses the readings it shares with the last parse (a history changes by a reading at its
  end), keyed by their stored form, so a changed tick parses one reading, not 1,800;
- our section of the file, the last one seen or written (`sections`, tray.store.keeper.Sections), is put back
  after oh-my-claude's whole-file rewrite, at the next tick (`keep`) and before each write (`write`).

Measured too, and dropped for gaining nothing since the paces are stored beside the history: the kept
history walk per window (projections come from the stored paces, ~0.01 ms; the walk itself is ~0.8 ms) and
the kept reset events (~1 ms, asked only when "Show debug error" is chosen).
"""

from __future__ import annotations

import os
import time

from tray.store import cache, keeper

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any

    from tray.model.state import CachedState, Reading

# A file changed this recently may change again within the filesystem's timestamp granularity (ext4 uses a
# coarse clock) keeping the same size: its signature proves nothing yet ("racy" entries, as git calls them).
SETTLE_NS = 2_000_000_000


class CacheReader:
    """`cache.read_state`, remembering the last parse of each file it is asked for."""

    def __init__(self, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._clock_ns = clock_ns  # the wall clock, as file times are (tests move it on)
        self._parsed: dict[str, tuple[tuple[int, ...], CachedState]] = {}  # path -> (file signature, state)
        self._readings: dict[tuple[Any, ...], Reading] = {}  # the last history's readings, by stored form
        self._looked: dict[str, tuple[int, ...] | None] = {}  # path -> its signature when `keep` last read it
        # path -> (signature, the file as `keep` just decoded it), taken by the read that follows (the tick's): a
        # changed file is decoded once, not twice (json.loads of an 8-day cache is ~1.5 ms)
        self._decoded: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {}
        self.sections = keeper.Sections()  # our section of each file, through foreign rewrites

    def read_state(self, path: str | os.PathLike[str]) -> CachedState:
        key = os.fspath(path)
        signature = cache._signature(key)
        remembered = self._parsed.get(key)
        if signature is not None and remembered is not None and remembered[0] == signature:
            return remembered[1]
        decoded = self._decoded.pop(key, None)
        if signature is not None and decoded is not None and decoded[0] == signature:
            from tray.model.state import state_from_cache

            state = state_from_cache(decoded[1], known=self._readings)  # keep showed it to `sections` already
        else:
            state = cache.read_state(key, known=self._readings, kept=self.sections)
        if signature is not None and self._clock_ns() - max(signature[3], signature[4]) > SETTLE_NS:
            self._parsed[key] = (signature, state)
        return state

    def write(self, path: str | os.PathLike[str], change: Callable[[CachedState], CachedState], *, now: datetime,
              lock_timeout: float | None = None) -> CachedState:
        """`cache.update_state`, our section put back first when a foreign rewrite dropped it."""
        return cache.update_state(os.fspath(path), change, now=now, lock_timeout=lock_timeout, kept=self.sections)

    def keep(self, path: str | os.PathLike[str], now: datetime, write: Callable[..., Any] | None = None) -> bool:
        """The tray's tick: after a foreign rewrite, put our section back; take oh-my-claude's fresh `pro` in as a
        reading (history, paces and the gate follow it) and its `pro: null` as the request it made. True when
        written (through `write`, `cache.update_state`'s signature; this reader's `write` when None). Never raises
        for a cache that cannot be written (the next tick tries again). A file unchanged since the last look is
        not read again."""
        from tray.errors import TrayError
        from tray.model.state import state_from_cache

        kept = self.sections
        key = os.fspath(path)
        signature = cache._signature(key)
        if signature is not None and self._looked.get(key) == signature:
            return False
        raw = cache.read_cache(key)
        if not raw:
            return False
        self._looked[key] = signature
        kept.seen(key, raw)
        if signature is not None:
            self._decoded[key] = (signature, raw)
        restore = "tray" not in raw and kept.remembers(key)
        if not restore and not keeper.peer_news(state_from_cache(kept.put_back(key, raw), history=False), raw):
            return False

        def change(current: CachedState) -> CachedState:
            again = kept.put_back(key, cache.read_cache(key))
            return keeper.take_in_peer(current, again or kept.put_back(key, raw))

        try:
            (write or self.write)(key, change, now=now)
        except TrayError:
            return False
        return True
