"""Which Claude account this machine is signed in to, as a fingerprint (SPEC §2, §10). Standard library only.

Claude Code keeps `oauthAccount.accountUuid` in `~/.claude.json` (with `CLAUDE_CONFIG_DIR`: that folder's
`.claude.json`). Machines that share readings (tray.share) compare a salted hash of it, never the id itself:
a snapshot of another account must not be shown as this one's. Read-only and tolerant: the file is
Claude Code's, undocumented, and may be missing, half-written or huge.
"""

from __future__ import annotations

import hashlib
import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_BYTES = 64 * 1024 * 1024  # Claude Code's file grows with every project it has seen; anything larger is not it
_SALT = b"claude-tray account fingerprint v1\x00"
FINGERPRINT_CHARS = 16  # 64 bits: plenty to tell a handful of accounts apart, useless for finding the id


def fingerprint_of(account_uuid: str) -> str:
    """The salted, truncated SHA-256 of an account id: the same on every machine, not the id."""
    return hashlib.sha256(_SALT + account_uuid.strip().lower().encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def account_fingerprint(env: Mapping[str, str] | None = None) -> str | None:
    """This machine's account fingerprint, or None when Claude Code's file does not say (never raises)."""
    uuid = account_uuid(env)
    return fingerprint_of(uuid) if uuid else None


def account_uuid(env: Mapping[str, str] | None = None) -> str | None:
    """`oauthAccount.accountUuid` from Claude Code's `.claude.json`, or None. Kept in memory only."""
    from tray.base.ownfile import read_own_upto
    from tray.sources.claudecode import claude_json_path

    path = claude_json_path(os.environ if env is None else env)
    if path is None:
        return None
    raw = read_own_upto(path, MAX_BYTES)  # never through a planted link, never blocking on a FIFO
    if raw is None:
        return None
    uuid = _uuid_of(raw, json.JSONDecoder())
    return uuid if isinstance(uuid, str) and 8 <= len(uuid.strip()) <= 200 else None


_KEY = b'"oauthAccount"'
_SLICE = 16 * 1024  # the object is a few hundred bytes: the account's ids, names and flags


def _uuid_of(raw: bytes, decoder: json.JSONDecoder) -> object:
    """`oauthAccount.accountUuid`, decoding only the object after each `"oauthAccount"` key: the file is often
    megabytes of projects, and parsing it whole cost the status line ~80 ms each time it published. Inside a
    JSON string the key's quotes would be escaped, so a match is a key; the first whose object holds an
    `accountUuid` wins."""
    start = 0
    while True:
        at = raw.find(_KEY, start)
        if at < 0:
            return None
        start = at + len(_KEY)
        text = raw[start:start + _SLICE].decode("utf-8", "ignore").lstrip()
        if not text.startswith(":"):
            continue
        try:
            value, _end = decoder.raw_decode(text[1:].lstrip())
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict) and "accountUuid" in value:
            return value["accountUuid"]
