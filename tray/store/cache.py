"""The shared cache file: tolerant reads, locked atomic writes (SPEC §3). Standard library only.

`claude-tray statusline` imports this module, so it must never import anything third-party, and it
imports the value model and the lock only when a function needs them: printing the status line from the
cache needs none of them. It never imports pathlib: paths are text here (os.path), because the running
tray writes the cache through this module and pathlib costs it ~0.8 MB of RSS.

The file is shared with oh-my-claude's status line, which rewrites it whole and non-atomically (and
knows nothing of our lock). So: readers never lock and read anything odd as "no data"; writers take the
sidecar lock, re-read, change only `tray`, `pro` and `updated_at`, and replace the file atomically, so
that our readers never see a half-written file of ours.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from pathlib import Path
    from typing import Any, Callable

    from tray.model.state import CachedState, Reading
    from tray.store.keeper import Sections
    from tray.store.rawjson import Member

OUR_KEYS = frozenset({"tray", "pro", "updated_at"})
MAX_CACHE_BYTES = 8 * 1024 * 1024  # a cache is a few kB; anything this big is not ours to parse
_SETTLE_TRIES = 25
_SETTLE_WAIT_S = 0.02  # oh-my-claude's whole rewrite takes well under a millisecond

# Indirection so tests can make the final rename fail the way a full or read-only disk would.
_replace: Callable[[str, str], None] = os.replace


def read_cache(path: Path | str) -> dict[str, Any]:
    """The decoded cache, or {} when it is missing, empty, truncated, not JSON or not an object.

    Never locks (a status line must not wait) and never raises.
    """
    from tray.base.ownfile import read_own

    for wait in _TORN_WAITS_S:
        try:
            # Not through a link, not from a FIFO or device, not someone else's file (SPEC §8): "no data".
            raw = read_own(path, MAX_CACHE_BYTES + 1)
        except (OSError, ValueError):
            return {}
        if len(raw) > MAX_CACHE_BYTES:
            return {}
        if raw.strip():
            try:
                decoded = json.loads(raw)
            except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError: ValueErrors
                # Perhaps only another tool's value is beyond Python (a 5000-digit integer, deep nesting, a
                # Latin-1 byte in oh-my-claude's `code`): ours are still there to read, member by member.
                from tray.store.rawjson import decode, members

                found = members(raw)
                if found is not None:
                    return decode(found)
                if not _cut_short(error):
                    break  # garbage, not a file caught mid-write: waiting will not mend it
            else:
                return decoded if isinstance(decoded, dict) else {}
        if wait is None:
            break
        # Empty or not whole: most likely oh-my-claude's `cat > file` caught between truncate and write.
        time.sleep(wait)
    return {}


# A torn read is tried again briefly (SPEC §3: at most 3 tries over at most 50 ms) before it reads "no data".
_TORN_WAITS_S = (0.01, 0.02, None)


def _cut_short(error: BaseException) -> bool:
    """True when the text stopped before the JSON did (a prefix of a whole file): a write in progress."""
    if isinstance(error, UnicodeDecodeError):  # a character cut in two at the end
        return error.end >= len(error.object)
    if not isinstance(error, json.JSONDecodeError):
        return False
    rest = error.doc[error.pos:].rstrip()
    return (not rest or error.msg.startswith("Unterminated string")
            or any(word.startswith(rest) for word in ("true", "false", "null")))


def read_state(
    path: Path | str, *, known: dict[tuple[Any, ...], Reading] | None = None, kept: Sections | None = None,
) -> CachedState:
    """The cache as values, parsed afresh. `known`: readings parsed before, by their stored form, reused and
    then updated to this history's; `kept`: the section memory the file's section is shown to (both the
    running tray's, held by its reader: tray.store.reader)."""
    from tray.model.state import state_from_cache

    raw = read_cache(path)
    if kept is not None:
        kept.seen(path, raw)  # the running tray remembers its section through foreign rewrites
    return state_from_cache(raw, known=known)


def _signature(path: Path | str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _read_for_update(path: str) -> list[Member]:
    """The file's top-level members as written (`tray.store.rawjson`), waiting out oh-my-claude's rewrite
    (truncate, then write) before giving up.

    A writer that took a half-written file for "empty" would write back without oh-my-claude's `code`.
    A prefix of a JSON object is never whole, so a whole object is a whole file. A file that stays
    broken is garbage, and is overwritten after `_SETTLE_TRIES`. What is not the user's own regular file
    (a link, a FIFO, a device, someone else's file: SPEC §8) raises CacheError: nothing is written there.
    """
    from tray.base.ownfile import UnsafeFile, read_own
    from tray.store.rawjson import members

    for _ in range(_SETTLE_TRIES):
        try:
            raw = read_own(path, MAX_CACHE_BYTES + 1)
        except FileNotFoundError:
            return []
        except UnsafeFile as unsafe:
            if os.path.isdir(path) and not os.path.islink(path):
                break  # a folder: the write itself fails and says so, as it always did
            from tray.errors import CacheError

            raise CacheError(
                f"The usage cache {unsafe}, so nothing is written to it: remove it (`rm {path}`) and the next "
                "write makes a file of your own."
            ) from None
        except (OSError, ValueError):
            break
        if raw.strip() and len(raw) <= MAX_CACHE_BYTES:
            found = members(raw)
            if found is not None:
                return found
            # half-written, or garbage: look again shortly
        time.sleep(_SETTLE_WAIT_S)
    return []


def update_cache(
    path: Path | str,
    mutate: Callable[[dict[str, Any]], Mapping[str, object]],
    *,
    lock_timeout: float | None = None,
    kept: Sections | None = None,
) -> dict[str, Any]:
    """Under the lock, re-read the cache, apply `mutate`'s top-level keys, replace the file atomically.

    `mutate` gets a private copy of the current content and returns the keys to set; only `tray`, `pro`
    and `updated_at` are allowed (anything else is a programming error: ValueError, nothing written).
    Every other key is written back exactly as re-read. Returns the dict written. `kept`: the running tray's
    memory of its section (tray.store.keeper.Sections), put back first when a foreign rewrite dropped it.
    Raises CacheError (one sentence; the old file intact, no temp file left) when it cannot write.
    """
    from tray.store.lock import DEFAULT_TIMEOUT_S, FileLock
    from tray.store.paths import lock_path_str
    from tray.store.rawjson import decode, splice

    path = os.fspath(path)
    _ensure_folder(_parent(path))
    _refuse_shared_folder(_parent(path))
    with FileLock(lock_path_str(path), timeout=DEFAULT_TIMEOUT_S if lock_timeout is None else lock_timeout):
        # Re-read under the lock: another writer of ours may have changed the file since the caller looked.
        found = _read_for_update(path)
        current = decode(found)
        from tray.store import keeper

        if kept is not None:
            current = kept.put_back(path, current)  # after oh-my-claude dropped our section: the tray's memory
        import copy

        # Other tools' values are not copied (nor ever re-encoded): they go back as they were written.
        changes = dict(mutate({k: copy.deepcopy(v) if k in OUR_KEYS else v for k, v in current.items()}))
        foreign = sorted(set(changes) - OUR_KEYS)
        if foreign:
            raise ValueError(f"update_cache may set only {sorted(OUR_KEYS)}, not {foreign}")
        merged = dict(current)
        merged.update(changes)
        try:
            # allow_nan=False (in _encode): NaN is not JSON and would break `jq .pro` for oh-my-claude's users.
            data = splice(found, changes, _encode)
        except (TypeError, ValueError) as e:
            from tray.errors import CacheError

            raise CacheError(
                f"Could not encode the usage cache ({e}); the previous copy is unchanged."
            ) from e
        stamp = keeper.stamp_to_keep(path, current, changes)  # oh-my-claude's mtime rule, not starved
        _write_atomically(path, data)
        keeper.keep_stamp(path, stamp)
        if kept is not None:
            kept.seen(path, merged)
        return merged


def _encode(merged: Mapping[str, Any]) -> str:
    """The file's text: indented for people, but the history's readings one compact array a line. Indented
    whole, the 1,800 readings of 8 days took 9 ms to write (json's indenting encoder is pure Python) and a
    third more bytes for every status line to read."""
    section = merged.get("tray")
    history = section.get("history") if isinstance(section, dict) else None
    if not isinstance(section, dict) or not isinstance(history, list) or not history or not all(
            type(r) is list for r in history):
        return json.dumps(merged, indent=2, ensure_ascii=False, allow_nan=False)
    marker = "history-" + os.urandom(8).hex()
    text = json.dumps({**merged, "tray": {**section, "history": marker}}, indent=2, ensure_ascii=False,
                      allow_nan=False)
    rows = json.dumps(history, separators=(",", ":"), ensure_ascii=False, allow_nan=False)[1:-1]
    if rows.count("],[") == len(history) - 1:  # only between readings (no text of theirs holds one)
        rows = rows.replace("],[", "],\n      [")
    else:
        rows = ",\n      ".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
                                 for r in history)
    return text.replace(f'"{marker}"', "[\n      " + rows + "\n    ]", 1)


def update_state(
    path: Path | str,
    change: Callable[[CachedState], CachedState],
    *,
    now: datetime,
    lock_timeout: float | None = None,
    kept: Sections | None = None,
) -> CachedState:
    """`update_cache` in terms of values: the current state -> `change` -> our keys. Returns the state as
    a reader will now see it."""
    from tray.model.state import shared_keys, state_from_cache

    def mutate(current: dict[str, Any]) -> Mapping[str, object]:
        return shared_keys(with_paces(change(state_from_cache(current))), now)

    return state_from_cache(update_cache(path, mutate, lock_timeout=lock_timeout, kept=kept))


def with_paces(state: CachedState) -> CachedState:
    """`state` with the paces of the history it will be written with: the ones read with it when the history
    has not changed since, else worked out (tray.forecast.projection)."""
    from tray.model.state import HISTORY_LIMIT

    history = state.history[-HISTORY_LIMIT:]
    paces = state.paces
    if history and paces is not None and history[-1].at == paces.through:
        return state
    from tray.base.values import replace
    from tray.forecast.projection import paces_of

    return replace(state, paces=paces_of(history))


def _refuse_shared_folder(folder: str) -> None:
    """A folder others can write, or someone else's, is no place for the cache (SPEC §8): they could plant
    a link or a file there for us to write through."""
    from tray.base.ownfile import folder_problem

    problem = folder_problem(folder)
    if problem is None:
        return
    from tray.errors import CacheError

    fix = f"run `chmod 700 {folder}`" if "every user" in problem else "use a folder of your own"
    raise CacheError(
        f"The cache folder {folder} {problem}, so anyone could plant a file there for the tray to write "
        f"through: {fix}, or set CLAUDE_TRAY_CACHE to a file in a private folder."
    )


def _parent(path: str) -> str:
    """The folder holding `path`, as `Path.parent` has it ("." for a bare name)."""
    return os.path.dirname(path) or "."


def _ensure_folder(folder: str) -> None:
    """Create the cache folder (and any missing parents) 0700; never loosen or tighten an existing one."""
    missing: list[str] = []
    probe = folder
    while not _exists(probe) and probe != _parent(probe):
        missing.append(probe)
        probe = _parent(probe)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
            os.chmod(directory, 0o700)  # mkdir's mode is filtered by the umask; 0700 is the contract
        except FileExistsError:
            continue  # another process created it a moment ago
        except OSError as e:
            from tray.errors import CacheError

            raise CacheError(
                f"Could not create the cache folder {directory} ({e.strerror or e}); check its permissions."
            ) from e


# What `Path.exists` reads as "not there" (its errnos, and Windows' not-ready / invalid-name /
# cannot-resolve errors); any other error (EACCES…) means "there, but unreadable".
_ABSENT_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
_ABSENT_WINERRORS = frozenset({21, 123, 1921})


def _exists(path: str) -> bool:
    try:
        os.stat(path)
    except OSError as e:
        # Any other error: unreadable, not ours to create; the write below reports the real problem.
        return not (e.errno in _ABSENT_ERRNOS or getattr(e, "winerror", None) in _ABSENT_WINERRORS)
    except ValueError:  # an embedded NUL: no such file
        return False
    return True


def _write_atomically(path: str, data: bytes) -> None:
    """Temp file in the same folder (0600), fsync, rename over the target, fsync the folder."""
    # Never through a link (SPEC §8): the rename replaces the name itself, and a link there was refused.
    target = path
    _remove_leftovers(target)
    tmp_name: str | None = None
    try:
        fd, tmp_name = _create_temp(target)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _replace(tmp_name, target)
        tmp_name = None
    except OSError as e:
        from tray.errors import CacheError

        raise CacheError(
            f"Could not write the usage cache {path} ({e.strerror or e}); the previous copy is unchanged."
        ) from e
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    _fsync_folder(os.path.dirname(target))


# What tempfile.mkstemp does, without importing tempfile (random, shutil, bz2, lzma…: milliseconds that
# `claude-tray statusline` would pay on every prompt).
_TEMP_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def _remove_leftovers(target: str) -> None:
    """Delete temp files of writers that died mid-write (SIGKILL, power loss, a process ending while a
    daemon thread was writing). Called under the lock, so no living writer of ours owns one."""
    folder, base = os.path.split(target)
    prefix = f".{base}."
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(".tmp"):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass


def _create_temp(target: str) -> tuple[int, str]:
    """A new, exclusive temp file next to `target`, created 0600 (the cache's contract)."""
    folder, base = os.path.split(target)
    for _ in range(100):
        name = os.path.join(folder, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, _TEMP_FLAGS, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {target}")


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable; best effort (Windows and some filesystems cannot)."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
