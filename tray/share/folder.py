"""The share folder on disk: this machine's snapshot written atomically, every machine's read tolerantly (SPEC §10).

`<share_dir>/claude-tray/<host>.json`, one file per host, so a sync engine (Syncthing, Nextcloud, Dropbox, NFS,
sshfs) never sees two writers of one file. Written as the cache is: a temp file beside it (0600), fsync,
`os.replace`. Read without a lock: a file that is half-synced does not parse and is skipped this time; a sync
engine's conflict copy, another account's snapshot or one from the future is skipped and named, so the debug
text and `doctor` can say why a machine is not heard. Standard library only.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone

from tray.base.values import record
from tray.share.snapshot import FOLDER, SUFFIX, Snapshot, clean_host, file_name, snapshot_from_dict

MAX_SNAPSHOT_BYTES = 256 * 1024  # a snapshot is ~2 kB
MAX_FILES = 200  # a folder with more is not ours; the first (by name) are read
FUTURE_SLACK = timedelta(minutes=5)  # clocks of machines differ a little; more than this is a broken clock
SERVER_WAIT_MAX = timedelta(hours=6, minutes=30)  # SPEC §4 caps a server's wait at 6 h (plus jitter)
# Syncthing: `name.sync-conflict-20260101-120000-ABCDEFG.json`; Dropbox and Nextcloud: `name (conflicted copy …).json`,
# `name (Alice's conflicted copy …).json`; ownCloud: `name_conflict-20260101-120000.json`.
CONFLICT_MARKS = (".sync-conflict-", "conflicted copy", "_conflict-")


@record
class Seen:
    """One file of the share folder and what became of it."""

    name: str
    snapshot: Snapshot | None
    ignored: str  # why it is not used ("" when it is); "this machine's own" for ours
    modified_at: datetime | None = None  # the file's mtime (a sync engine keeps the writer's; NFS sets the server's)


@record
class Scan:
    folder: str  # <share_dir>/claude-tray
    seen: tuple[Seen, ...] = ()
    problem: str = ""  # the folder is missing or unreadable: one sentence

    @property
    def usable(self) -> tuple[Snapshot, ...]:
        return tuple(s.snapshot for s in self.seen if s.snapshot is not None and not s.ignored)

    @property
    def ignored(self) -> tuple[Seen, ...]:
        return tuple(s for s in self.seen if s.ignored and s.ignored != OWN)


OWN = "this machine's own"


def snapshot_folder(share_dir: str) -> str:
    return os.path.join(share_dir, FOLDER)


def write_snapshot(share_dir: str, snapshot: Snapshot) -> str:
    """Replace this host's snapshot atomically (0600); returns its path. Raises OSError (old file intact, no
    temp file left) when the share is missing or cannot be written: a share folder that is not there (an
    unmounted sshfs, a sync engine not set up yet) is never created here, only our folder inside it."""
    if not os.path.isdir(share_dir):
        raise FileNotFoundError(2, "the share folder is missing", share_dir)
    folder = snapshot_folder(share_dir)
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    target = os.path.join(folder, file_name(snapshot.host))
    data = (json.dumps(snapshot.to_dict(), indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    from tray.base.ownfile import replace_with

    replace_with(target, data)
    return target


def scan_folder(share_dir: str, *, now: datetime, account: str | None, own_host: str) -> Scan:
    """Every snapshot in the share, each used or ignored with its reason. Never raises."""
    folder = snapshot_folder(share_dir)
    if not os.path.isdir(share_dir):
        return Scan(folder, problem=f"The share folder {share_dir} is missing.")
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return Scan(folder)  # no machine has written yet
    except OSError as e:
        return Scan(folder, problem=f"The share folder {folder} cannot be read ({e.strerror or e}).")
    seen: list[Seen] = []
    own = file_name(own_host)
    for name in names:
        if name.startswith((".", "~")) or len(seen) >= MAX_FILES:
            continue  # temp files: ours, Syncthing's (.syncthing.*.tmp, ~syncthing~*.tmp), editors'
        if any(mark in name for mark in CONFLICT_MARKS):
            seen.append(Seen(name, None, "a sync conflict copy (safe to delete)"))
            continue
        if not name.endswith(SUFFIX):
            continue
        seen.append(_look_at(os.path.join(folder, name), name, now=now, account=account, own=name == own))
    return Scan(folder, tuple(seen))


def _look_at(path: str, name: str, *, now: datetime, account: str | None, own: bool) -> Seen:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        return Seen(name, None, f"cannot be opened ({e.strerror or e})")
    try:
        info = os.fstat(fd)
        modified = datetime.fromtimestamp(info.st_mtime, timezone.utc)
        if not stat.S_ISREG(info.st_mode):
            return Seen(name, None, "not a regular file")
        if info.st_size > MAX_SNAPSHOT_BYTES:
            return Seen(name, None, "too large to be a snapshot", modified)
        raw = os.read(fd, MAX_SNAPSHOT_BYTES + 1)
    except OSError as e:
        return Seen(name, None, f"cannot be read ({e.strerror or e})")
    finally:
        os.close(fd)
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        return Seen(name, None, "does not parse (half-synced or damaged; read again next time)", modified)
    snapshot, why = snapshot_from_dict(decoded)
    if snapshot is None:
        return Seen(name, None, why, modified)
    if own:
        return Seen(name, snapshot, OWN, modified)
    if file_name(snapshot.host) != name:
        return Seen(name, None, f"holds the snapshot of {snapshot.host}, not of the host its name says (a copy?)",
                    modified)
    if account is None:
        return Seen(name, None, "this machine's account is unknown (no oauthAccount in Claude Code's .claude.json)",
                    modified)
    if snapshot.account is None:
        return Seen(name, None, "its account is unknown (no oauthAccount in that machine's .claude.json)", modified)
    if snapshot.account != account:
        return Seen(name, None, "another account's", modified)
    ahead = max(snapshot.written_at, snapshot.fetched_at or snapshot.written_at) - now
    if ahead > FUTURE_SLACK:
        return Seen(name, None, f"from the future ({_minutes(ahead)} ahead of this machine's clock)", modified)
    if snapshot.server_until is not None and snapshot.server_until - now > SERVER_WAIT_MAX:
        from tray.base.values import replace

        snapshot = replace(snapshot, server_until=None, server_seen_at=None)  # no server asks for that: a bad clock
    return Seen(name, snapshot, "", modified)


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def host_name(env: object = None) -> str:
    """This machine's name in the share: `CLAUDE_TRAY_HOST` when set, else the system's host name."""
    from collections.abc import Mapping

    given = env.get("CLAUDE_TRAY_HOST", "") if isinstance(env, Mapping) else ""
    if isinstance(given, str) and clean_host(given):
        return clean_host(given)
    import sys

    if sys.platform == "win32":
        node = os.environ.get("COMPUTERNAME", "")
    else:
        node = os.uname().nodename
    return clean_host(node.split(".")[0]) or "this-machine"  # "laptop", not "laptop.local"
