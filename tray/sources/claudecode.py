"""Claude Code's own cached figures: `cachedUsageUtilization` in `~/.claude.json` (SPEC §2). No network at all.

Claude Code keeps its last `/usage` answer there — `fetchedAtMs`, `accountUuid` and `utilization` (the endpoint's
answer, `limits[]` included, so per-model weekly windows such as Fable that its status line never carries).
With `CLAUDE_CONFIG_DIR` the file is that folder's `.claude.json`. It is undocumented and may vanish: read it
read-only and tolerantly, only with its timestamp. It counts as a reading only while it is newer than what the
cache holds and younger than an hour (`fresh_reading`). This module never writes that file.

The file also holds projects, history and settings (often megabytes): the running tray reads it again only when
it changed (through the `FileMemo` it owns, tray.base.filememo).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from tray.base.timeparse import parse_timestamp
from tray.base.values import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tray.base.filememo import FileMemo
    from tray.model.usage import Usage

MAX_BYTES = 64 * 1024 * 1024  # a .claude.json with years of projects is tens of MB; beyond, not read
MAX_AGE = timedelta(hours=1)
FUTURE_SLACK = timedelta(minutes=5)  # clocks of one machine; beyond this a "future" figure is not believed
SOURCE = "claude-code"


@record
class LocalReading:
    usage: Usage
    fetched_at: datetime
    account: str | None  # `accountUuid` (never shown, never stored: it only tells two accounts apart)


def claude_json_path(env: Mapping[str, str]) -> str | None:
    """`$CLAUDE_CONFIG_DIR/.claude.json`, else `~/.claude.json`; None without a home."""
    configured = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if configured:
        return os.path.join(os.path.expanduser(configured), ".claude.json")
    home = env.get("HOME") or env.get("USERPROFILE")
    return os.path.join(home, ".claude.json") if home else None


def read_cached_usage(env: Mapping[str, str], memo: FileMemo | None = None) -> LocalReading | None:
    """Claude Code's cached figures, or None when they are absent, unreadable or not for the signed-in account.
    `memo`: the running tray's, so that an unchanged file is not read again. Never raises."""
    path = claude_json_path(env)
    if path is None:
        return None
    if memo is None:
        return _read(path)
    return memo.get(path, "cached usage", lambda: _read(path))


def fresh_reading(reading: LocalReading | None, held_at: datetime | None, now: datetime) -> LocalReading | None:
    """`reading` when it counts as one: newer than what the cache holds (`held_at`) and younger than an hour."""
    if reading is None:
        return None
    age = now - reading.fetched_at
    if age >= MAX_AGE or age < -FUTURE_SLACK:
        return None
    if held_at is not None and reading.fetched_at <= held_at:
        return None
    return reading


def _read(path: str) -> LocalReading | None:
    import json

    from tray.base.ownfile import read_own_upto
    from tray.errors import BadResponse

    raw = read_own_upto(path, MAX_BYTES)  # never through a planted link, never blocking on a FIFO
    if raw is None:
        return None
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):  # mid-write by Claude Code, or not JSON: no figures this time
        return None
    if not isinstance(decoded, Mapping):
        return None
    cached = decoded.get("cachedUsageUtilization")
    if not isinstance(cached, Mapping):
        return None
    fetched_ms = cached.get("fetchedAtMs")
    if isinstance(fetched_ms, bool) or not isinstance(fetched_ms, (int, float)):
        return None
    fetched_at = parse_timestamp(fetched_ms)
    if fetched_at is None:
        return None
    account = cached.get("accountUuid")
    account = account if isinstance(account, str) and account else None
    signed_in = decoded.get("oauthAccount")
    current = signed_in.get("accountUuid") if isinstance(signed_in, Mapping) else None
    if account and isinstance(current, str) and current and current != account:
        return None  # figures of an account signed out since: not this account's limits
    from tray.model.usage import parse_usage

    try:
        usage = parse_usage(cached.get("utilization"))
    except BadResponse:
        return None
    return LocalReading(usage=usage, fetched_at=fetched_at, account=account or current)
