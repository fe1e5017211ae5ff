"""One machine's token-free snapshot, as a value and as the JSON in `<share_dir>/claude-tray/<host>.json` (SPEC §10).

What a snapshot holds: the format and its version, the host, the account fingerprint (a salted hash, never
the id), when it was written, the machine's own latest reading (source, fetched at, parsed windows, extra
usage) and the end of any wait the server asked for (429 Retry-After). Nothing else: never a token, a
credential, a file path, an e-mail address or an error text (a server's answer may quote anything).
Standard library only; reading is tolerant (anything odd is None, with the reason).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from tray.base.timeparse import format_iso, parse_timestamp
from tray.base.values import record
from tray.model.usage import Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FORMAT = "claude-tray snapshot"
VERSION = 1
FOLDER = "claude-tray"  # inside share_dir, so the share can hold other things too
SUFFIX = ".json"
HOST_CHARS = 64
_SOURCE = re.compile(r"[a-z][a-z0-9_.-]{0,31}")  # api, statusline, oh-my-claude, …: a word, never free text
_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@record
class Snapshot:
    host: str
    account: str | None  # tray.sources.account fingerprint; None when the writer did not know its account
    written_at: datetime
    source: str | None = None  # of the reading: api, statusline, …
    fetched_at: datetime | None = None
    usage: Usage | None = None
    server_until: datetime | None = None  # no request before this moment, account-wide (a 429's Retry-After)
    server_seen_at: datetime | None = None  # when that 429 came back

    @property
    def has_reading(self) -> bool:
        return self.usage is not None and self.fetched_at is not None

    def to_dict(self) -> dict[str, Any]:
        reading = None
        if self.usage is not None and self.fetched_at is not None:
            reading = {"source": self.source, "fetched_at": format_iso(self.fetched_at), "usage": self.usage.to_dict()}
        wait = None
        if self.server_until is not None:
            wait = {
                "until": format_iso(self.server_until),
                "seen_at": format_iso(self.server_seen_at) if self.server_seen_at else None,
            }
        return {
            "format": FORMAT,
            "version": VERSION,
            "host": self.host,
            "account": self.account,
            "written_at": format_iso(self.written_at),
            "reading": reading,
            "server_wait": wait,
        }


def snapshot_from_dict(raw: object) -> tuple[Snapshot | None, str]:
    """(the snapshot, "") or (None, why it is not one). Never raises."""
    if not isinstance(raw, Mapping) or raw.get("format") != FORMAT:
        return None, "not a claude-tray snapshot"
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return None, "no format version"
    if version > VERSION:
        return None, f"format version {version} is newer than this claude-tray reads ({VERSION}): update it"
    host, account = raw.get("host"), raw.get("account")
    written_at = parse_timestamp(raw.get("written_at"))
    if not isinstance(host, str) or not clean_host(host) or written_at is None:
        return None, "no host or time of writing"
    source = fetched_at = usage = None
    reading = raw.get("reading")
    if isinstance(reading, Mapping):
        usage = Usage.from_dict(reading.get("usage"))
        fetched_at = parse_timestamp(reading.get("fetched_at"))
        kind = reading.get("source")
        source = kind if isinstance(kind, str) and _SOURCE.fullmatch(kind) else None
        if usage is None or fetched_at is None:
            usage = fetched_at = None
    until = seen = None
    wait = raw.get("server_wait")
    if isinstance(wait, Mapping):
        until, seen = parse_timestamp(wait.get("until")), parse_timestamp(wait.get("seen_at"))
    snapshot = Snapshot(
        host=clean_host(host),
        account=account if isinstance(account, str) and account else None,
        written_at=written_at,
        source=source,
        fetched_at=fetched_at,
        usage=usage,
        server_until=until,
        server_seen_at=seen if until is not None else None,
    )
    return snapshot, ""


def clean_host(name: str) -> str:
    """A host name as a file name and a menu word: letters, digits, `.`, `_`, `-`; at most 64 characters."""
    text = _NOT_IN_A_NAME.sub("-", name.strip()).strip(".-")
    return text[:HOST_CHARS]


def file_name(host: str) -> str:
    return clean_host(host) + SUFFIX
