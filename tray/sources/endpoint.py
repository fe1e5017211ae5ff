"""Where the token may go, and how long a 429 asks us to wait (SPEC §2). Standard library only.

Split from the client so `doctor` and the fetch cycle can check `CLAUDE_TRAY_API_URL` before anything loads
requests, and so the policy is read in one place.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from tray.base.redact import redact
from tray.errors import UsageError

DEFAULT_URL = "https://api.anthropic.com/api/oauth/usage"
ENV_URL = "CLAUDE_TRAY_API_URL"
MAX_RETRY_AFTER_S = 24 * 3600.0


def api_url(env: Mapping[str, str] | None = None) -> str:
    """The usage URL: CLAUDE_TRAY_API_URL if set (checked by `check_url`), else DEFAULT_URL."""
    environ = os.environ if env is None else env
    url = environ.get(ENV_URL, "").strip()
    if not url:
        return DEFAULT_URL
    check_url(url)
    return url


def check_url(url: str) -> None:
    """Raise UsageError unless `url` is https://, or http:// to a loopback host (where plain text is safe)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        host, parts = "", None
    scheme = parts.scheme.lower() if parts else ""
    if host and (scheme == "https" or (scheme == "http" and is_loopback(host))):
        return
    raise UsageError(
        f"{ENV_URL} must be an https:// URL or an http:// URL to this computer (127.0.0.1, localhost or [::1]), "
        f"so {redact(url)!r} is refused and the token is not sent there."
    )


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (seconds or an HTTP date), at least 0 and at most 24 h.

    None when the value is missing or unreadable, so the caller applies its own default.
    """
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
    else:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment is None:  # Python 3.9 returns None instead of raising
            return None
        if moment.tzinfo is None:  # "-0000" means UTC with no claim about local time
            moment = moment.replace(tzinfo=timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        seconds = (moment - now).total_seconds()
    if not math.isfinite(seconds):
        return MAX_RETRY_AFTER_S
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
