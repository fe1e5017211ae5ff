"""The share as the fetch cycle, `status` and the status line use it (SPEC §10).

`share_of` says whether sharing is on (`CLAUDE_TRAY_SHARE_DIR`, else the `share_dir` setting) and with which
host name and account; `take_in` brings the other machines' newer reading and server wait into the cache (only
when they add something); `shown` does the same in memory for `claude-tray status`; `publish` writes this
machine's snapshot. Nothing here raises for a missing or unwritable share: sharing is a help, never a reason
for the tray to fail (`doctor` says what is wrong).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from tray.base.values import record
from tray.model.state import CachedState
from tray.share.folder import Scan, host_name, scan_folder, write_snapshot
from tray.share.merge import snapshot_of
from tray.share.merge import take_in as merge_in
from tray.share.setting import share_dir_of

__all__ = ["Share", "notes", "publish", "scan", "share_dir_of", "share_of", "shown", "take_in"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from tray.base.filememo import FileMemo


@record
class Share:
    folder: str  # share_dir, ~ expanded
    host: str
    account: str | None  # this machine's account fingerprint (tray.sources.account)


def share_of(env: Mapping[str, str], state: CachedState | None, memo: FileMemo | None = None) -> Share | None:
    """The share when sharing is on. `memo`: the running tray's (or one command's), so that Claude Code's file is
    read for the account again only when it changed."""
    folder = share_dir_of(env, state)
    if folder is None:
        return None
    return Share(folder=folder, host=host_name(env), account=_account(env, memo))


def scan(share: Share, now: datetime) -> Scan:
    return scan_folder(share.folder, now=now, account=share.account, own_host=share.host)


def take_in(
    cache_file: Path | str, env: Mapping[str, str], state: CachedState, now: datetime,
    *, write: Callable[..., CachedState] | None = None, memo: FileMemo | None = None,
) -> tuple[CachedState, Scan | None]:
    """The other machines' newer reading and longer server wait, written into the cache when they add something
    (under the cache's lock, re-read first; through `write`, `cache.update_state`'s signature, when given).
    Returns the state as it now stands, and what the share held."""
    share = share_of(env, state, memo)
    if share is None:
        return state, None
    found = scan(share, now)
    usable = found.usable
    if not usable or merge_in(state, usable, now, history=False) is state:
        return state, found
    from tray.errors import TrayError
    from tray.store import cache

    try:
        update = write or cache.update_state
        return update(cache_file, lambda current: merge_in(current, usable, now), now=now), found
    except TrayError:  # a read-only cache: still obey and show what the share says
        return merge_in(state, usable, now), found


def shown(env: Mapping[str, str], state: CachedState, now: datetime) -> CachedState:
    """`state` as `claude-tray status` shows it: with a newer reading from the share, nothing written."""
    share = share_of(env, state)
    if share is None:
        return state
    return merge_in(state, scan(share, now).usable, now, history=bool(state.history))


def publish(env: Mapping[str, str], state: CachedState, now: datetime, memo: FileMemo | None = None) -> str | None:
    """Write this machine's snapshot when sharing is on and there is something to tell. Returns the problem in
    one sentence when the share cannot be written (the caller logs it), else None."""
    share = share_of(env, state, memo)
    if share is None:
        return None
    snapshot = snapshot_of(state, host=share.host, account=share.account, now=now)
    if snapshot is None:
        return None
    try:
        write_snapshot(share.folder, snapshot)
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return f"Could not write this machine's snapshot to the share folder {share.folder} ({reason})."
    return None


def notes(found: Scan | None, now: datetime) -> list[str]:
    """Debug-text lines: what each machine's snapshot holds, and each file ignored with the reason."""
    if found is None:
        return []
    from tray.base.timefmt import format_age

    out = [f"Share: {found.problem}"] if found.problem else []
    for seen in found.seen:
        snap = seen.snapshot
        if seen.ignored and seen in found.ignored:
            out.append(f"Share: ignored {seen.name}: {seen.ignored}")
        elif snap is not None:
            who = f"{snap.host} (this machine)" if seen.ignored else snap.host
            reading = (f"reading from {snap.source or 'unknown source'} {format_age(snap.fetched_at, now)}"
                       if snap.fetched_at is not None else "no reading")
            wait = ""
            if snap.server_until is not None and snap.server_until > now:
                wait = f", server wait until {snap.server_until.astimezone():%H:%M}"
            out.append(f"Share: {who} wrote {format_age(snap.written_at, now)}, {reading}{wait}")
    return out


def _account(env: Mapping[str, str], memo: FileMemo | None) -> str | None:
    from tray.sources.account import account_fingerprint
    from tray.sources.claudecode import claude_json_path

    path = claude_json_path(env)
    if path is None:
        return None
    if memo is None:
        return account_fingerprint(env)
    return memo.get(path, "account", lambda: account_fingerprint(env))
