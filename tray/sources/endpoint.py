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

from tray.base.redact import redact
from tray.base.values import record
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


@record
class Target:
    """Where a URL's request goes: what urllib3 (requests' transport) connects to, exactly."""

    scheme: str
    host: str  # lower-case; an IPv6 address without its brackets
    port: int

    @property
    def where(self) -> str:
        """`host:port` as messages show it (`[::1]:8080`)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


# The only URLs accepted: scheme, a plain host (a DNS name or IPv4 address of ASCII letters, digits, dots and
# hyphens, or a bracketed IPv6 address), an optional decimal port, then a path/query of visible ASCII with no
# backslash. No userinfo (`@` before the path), no percent-escape or non-ASCII in the host, no whitespace:
# exactly what two URL parsers could read differently (urllib.parse and urllib3 disagree on a backslash, `@`
# in the authority, `%2f` and IDNA), so the host checked is the host connected to (SPEC §8).
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?:(?P<name>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<rest>[/?#][\x21-\x5b\x5d-\x7e]*)?"
)
_PORTS = {"https": 443, "http": 80}


def check_url(url: str) -> Target:
    """Where `url` sends the token; UsageError unless it is https://, or http:// to a loopback host (where
    plain text is safe), written so that every parser reads the same host (see `_URL`)."""
    target = _parse(url)
    if target is not None and (target.scheme == "https" or (target.scheme == "http" and is_loopback(target.host))):
        return target
    raise UsageError(
        f"{ENV_URL} must be an https:// URL or an http:// URL to this computer (127.0.0.1, localhost or [::1]), "
        f"with a plain host name or address (no user name, backslash, escapes or non-ASCII letters: write an "
        f"international name in its xn-- form), so {_shown(url)!r} is refused and the token is not sent there."
    )


def _parse(url: str) -> Target | None:
    found = _URL.fullmatch(url)
    if found is None:
        return None
    scheme = found["scheme"].lower()
    if scheme not in _PORTS:
        return None
    host = (found["name"] or found["ipv6"] or "").lower()
    if found["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
    port = int(found["port"]) if found["port"] is not None else _PORTS[scheme]
    if not 0 < port < 65536:
        return None
    return Target(scheme, host, port)


def _shown(url: str) -> str:
    """The refused URL for the message: redacted, non-ASCII and control characters escaped, not endless."""
    text = redact(url[:300]).encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def same_host(one: str, other: str) -> bool:
    """Whether two host texts name the same host: case aside, and an address however it is written."""
    def plain(host: str) -> str:
        host = host.strip("[]").lower()
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            return host

    return plain(one) == plain(other)


def is_loopback(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 (as four decimal numbers) or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (seconds or an HTTP date), at least 0 and at most 24 h.

    None when the value is missing or unreadable, so the caller applies its own default.
    """
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]+", text):  # integer seconds only: `0.000001` is no wait a server means
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
