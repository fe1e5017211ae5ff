"""The one GET to the usage endpoint (SPEC §2): headers, limits, and an error class for every failure.

The token goes only to the configured URL: https anywhere, plain http only to this computer, no redirects,
TLS always verified. Every wait is bounded (connect and read timeouts, an overall deadline, a body cap), so
an endless or dripping answer ends. Messages are one redacted sentence; `Exchange` records what
`claude-tray refresh --debug` prints, already redacted.
"""

from __future__ import annotations

import html
import json
import re
import socket
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from http import HTTPStatus

import requests
import urllib3

from tray.base.printable import escape_controls
from tray.base.redact import mask_token, redact
from tray.base.values import record
from tray.errors import (
    ApiError,
    AuthRejected,
    BadResponse,
    CredentialsMalformed,
    NetworkError,
    RateLimited,
    ScopeRejected,
    ServerError,
)
from tray.sources.endpoint import ENV_URL, Target, check_url, is_loopback, parse_retry_after, same_host

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_BODY = 1 << 20

_BETA = "oauth-2025-04-20"
_EXCERPT_CHARS = 200
_READ_CHUNK = 64 * 1024
# A token is sent in a header: anything but visible ASCII would be rejected by requests in an exception
# whose text quotes the header value, i.e. the token.
_SENDABLE_TOKEN = re.compile(r"[\x21-\x7e]+")


@record
class Exchange:
    """One request and its answer as `claude-tray refresh --debug` prints it; every field is redacted."""

    method: str
    url: str
    status: int | None
    request_headers: dict[str, str]
    response_headers: dict[str, str]
    body: str
    elapsed_s: float
    error: str | None


class _BearerAuth(requests.auth.AuthBase):
    """Sets the Authorization header last, so ~/.netrc or credentials in the URL can never replace it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return f"_BearerAuth({mask_token(self._token)})"


@record
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    over_cap: bool


def fetch_usage_json(
    token: str, *, url: str, user_agent: str, connect_timeout: float = 5.0, read_timeout: float = 15.0,
    deadline_s: float = 30.0, max_bytes: int = MAX_BODY, verify: bool | str = True,
    exchanges: list[Exchange] | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """One GET of the usage JSON object; raises an ApiError subclass (or UsageError for a refused URL).

    `verify` is True (the system/`REQUESTS_CA_BUNDLE` trust store) or a CA bundle path for tests; turning
    verification off is refused. The request ends within about `deadline_s`; the body is read only up to
    `max_bytes`. If `exchanges` is given, one redacted Exchange is appended whatever happens.
    """
    target = check_url(url)
    if verify is False:
        raise ValueError("TLS verification cannot be turned off for a request that carries the token")
    if not _SENDABLE_TOKEN.fullmatch(token or ""):
        raise CredentialsMalformed(
            "The Claude Code access token is empty or has characters that cannot be sent; "
            "sign in again with `claude /login`."
        )
    now = now or datetime.now(timezone.utc)
    headers = {"anthropic-beta": _BETA, "Accept": "application/json", "User-Agent": user_agent}
    started = time.monotonic()
    answer: _Answer | None = None
    error: str | None = None
    try:
        answer = _get(token, url, target, headers, (connect_timeout, read_timeout), started + deadline_s,
                      max_bytes, verify)
        return _interpret(answer, token, now, max_bytes)
    except ApiError as failure:
        error = str(failure)
        raise
    finally:
        if exchanges is not None:
            exchanges.append(_exchange(url, token, headers, answer, time.monotonic() - started, error))


def _get(
    token: str, url: str, target: Target, headers: dict[str, str], timeouts: tuple[float, float],
    deadline: float, max_bytes: int, verify: bool | str,
) -> _Answer:
    where = target.where
    _same_target(url, target)
    budget = max(0.001, deadline - time.monotonic())
    connect_timeout, read_timeout = (min(t, budget) for t in timeouts)
    sockets: list[socket.socket] = []
    # One deadline over the whole exchange (SPEC §8): per-read timeouts restart with every byte, so a server
    # dripping its status line, its headers or `100 Continue`s could hold us for ever. At the deadline the
    # connection is shut down, which ends whatever read is waiting.
    watchdog = threading.Timer(budget, _cut, (sockets,))
    watchdog.daemon = True
    with requests.Session() as session:
        # No default headers: the server sees exactly ours (plus Host). Skipping Accept-Encoding also keeps
        # http.client from adding one, and an uncompressed body makes the byte cap mean what it says.
        session.headers.clear()
        adapter = _DeadlineAdapter(sockets)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # Loopback is never proxied: plain http to a proxy would hand it the token. trust_env=False also
        # keeps ~/.netrc out; elsewhere HTTPS_PROXY and REQUESTS_CA_BUNDLE are honoured for corporate networks.
        if is_loopback(target.host):
            session.trust_env = False
        watchdog.start()
        try:
            try:
                response = session.get(
                    url,
                    headers={**headers, "Accept-Encoding": urllib3.util.SKIP_HEADER},
                    auth=_BearerAuth(token),
                    timeout=(connect_timeout, read_timeout),
                    allow_redirects=False,  # a Location host must never see the token
                    stream=True,
                    verify=verify,
                )
            except requests.RequestException as failure:
                if time.monotonic() >= deadline:
                    raise NetworkError(_too_long(where)) from failure
                raise NetworkError(_network_sentence(failure, where, connect_timeout, read_timeout)) from failure
            with response:
                body, over_cap = _read_capped(response, max_bytes, deadline, read_timeout, where)
                return _Answer(response.status_code, dict(response.headers), body, over_cap)
        finally:
            watchdog.cancel()
            for sock in sockets:
                sock.close()  # our duplicates only; the connections themselves closed with the session


def _same_target(url: str, target: Target) -> None:
    """Refuse to send unless urllib3, reading the URL requests prepares, connects where the check approved.

    The check's grammar already excludes every form the parsers read differently; this proves it with the
    transport's own parser on the very text it is handed, so a future parser change cannot move the token.
    """
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        parsed = urllib3.util.parse_url(prepared)
    except (requests.RequestException, urllib3.exceptions.HTTPError, ValueError):
        parsed = None
    port = (parsed.port or {"http": 80, "https": 443}.get(parsed.scheme or "")) if parsed else None
    if parsed is None or not same_host(parsed.host or "", target.host) or port != target.port:
        from tray.errors import UsageError

        raise UsageError(
            f"{ENV_URL} reads as {target.where} to this check but as another host to the HTTP library, so the "
            "token is not sent; write the URL plainly (scheme://host:port/path)."
        )


def _cut(sockets: list[socket.socket]) -> None:
    """The deadline passed: shut every connection of this exchange down (a waiting read then returns)."""
    for sock in list(sockets):
        try:
            sock.shutdown(socket.SHUT_RDWR)  # acts on the connection, whichever descriptor names it
        except OSError:
            pass


def _recording(base: type, sockets: list[socket.socket]) -> type:
    """`base` (urllib3's HTTP(S)Connection) keeping a duplicate of each socket it opens, for `_cut`.

    A duplicate descriptor, not the socket object: TLS detaches the plain socket while it wraps it, and a
    duplicate stays ours (never closed and reused under us) until the exchange ends, so the deadline can cut
    the TLS handshake too."""

    class Recording(base):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            sockets.append(sock.dup())
            return sock

    return Recording


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose connections are recorded for the exchange's deadline: the pool classes of each
    manager it makes (direct, an HTTP(S) proxy, a SOCKS proxy) get connection classes that record theirs."""

    def __init__(self, sockets: list[socket.socket]) -> None:
        self._sockets = sockets
        super().__init__(max_retries=0)

    def _record(self, manager: Any) -> Any:
        pools = getattr(manager, "pool_classes_by_scheme", None)
        if isinstance(pools, dict):
            manager.pool_classes_by_scheme = {
                scheme: type(pool.__name__, (pool,), {"ConnectionCls": _recording(pool.ConnectionCls, self._sockets)})
                for scheme, pool in pools.items()
            }
        return manager

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self._record(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        if proxy not in self.proxy_manager:  # requests keeps one manager per proxy: record it once
            return self._record(super().proxy_manager_for(proxy, **kwargs))
        return super().proxy_manager_for(proxy, **kwargs)


def _too_long(where: str) -> str:
    return f"{where} kept sending for too long, so the answer was abandoned; try again later."


def _read_capped(
    response: requests.Response, max_bytes: int, deadline: float, read_timeout: float, where: str
) -> tuple[bytes, bool]:
    """Read at most max_bytes (+1 to notice more), one socket read at a time, checking the deadline."""
    raw = response.raw
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NetworkError(_too_long(where))
        _shorten_socket_timeout(raw, min(read_timeout, remaining))
        try:
            # read1 returns after one socket read, so a slow drip cannot stretch a read past the deadline.
            chunk = raw.read1(min(_READ_CHUNK, max_bytes + 1 - total), decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as failure:
            if time.monotonic() >= deadline:
                message = _too_long(where)
            elif isinstance(failure, urllib3.exceptions.ReadTimeoutError):
                message = f"{where} stopped sending its answer for {read_timeout:g} s; try again later."
            else:
                message = f"The connection to {where} broke off while reading the answer; try again later."
            raise NetworkError(message) from failure
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)[:max_bytes], True


def _shorten_socket_timeout(raw: Any, seconds: float) -> None:
    # urllib3 exposes the live connection while the body streams; without it the per-read timeout stays.
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        try:
            sock.settimeout(max(0.001, seconds))
        except OSError:
            pass


def _network_sentence(failure: requests.RequestException, where: str, connect_s: float, read_s: float) -> str:
    reason = getattr(failure.args[0], "reason", None) if failure.args else None
    if isinstance(failure, requests.exceptions.SSLError):
        return (f"The TLS certificate of {where} could not be verified (a proxy or antivirus intercepting HTTPS "
                f"needs its CA in REQUESTS_CA_BUNDLE, or the clock is wrong), so nothing was sent.")
    if isinstance(failure, requests.exceptions.ProxyError):
        return f"The proxy from HTTPS_PROXY could not reach {where}; check the proxy setting."
    if isinstance(failure, requests.exceptions.ConnectTimeout):
        return f"Connecting to {where} timed out after {connect_s:g} s; check your network connection."
    if isinstance(failure, requests.exceptions.ReadTimeout):
        return f"{where} did not answer within {read_s:g} s; try again later."
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return f"The name {where} could not be resolved; check your network connection or DNS."
    if "refused" in str(reason or failure).lower():
        return f"{where} refused the connection; check your network connection (or {ENV_URL})."
    return f"{where} could not be reached; check your network connection."


def _interpret(answer: _Answer, token: str, now: datetime, max_bytes: int) -> dict[str, Any]:
    status = answer.status
    if 200 <= status < 300:
        return _usage_object(answer, max_bytes, token)
    excerpt = _excerpt(answer.body, token)
    if status == 401:
        if "expire" in _api_message(answer.body).lower():
            message = "The Claude sign-in token has expired; run `claude` once to refresh it."
        else:
            message = ("The usage endpoint rejected the Claude sign-in token as invalid; run `claude` once to "
                       "refresh it (or `claude /login` if that does not help).")
        raise AuthRejected(message, status=status, body_excerpt=excerpt)
    if status == 403:
        raise ScopeRejected(
            "The Claude sign-in token lacks the user:profile scope the usage endpoint needs; "
            "sign in again with `claude /login`.",
            status=status, body_excerpt=excerpt,
        )
    if status == 429:
        retry_after = parse_retry_after(_header(answer.headers, "Retry-After"), now)
        if retry_after is None:
            wait = "without saying for how long"
        else:
            wait = f"and asks to wait {_duration(retry_after)}" if retry_after else "with no wait time"
        raise RateLimited(
            f"The usage endpoint is rate limiting requests (HTTP 429) {wait}.",
            status=status, body_excerpt=excerpt, retry_after=retry_after,
        )
    name = _status_name(status)
    if 300 <= status < 400:
        message = (f"The usage endpoint answered with a redirect ({name}), which is not followed so the token "
                   f"goes nowhere else; check {ENV_URL}.")
    elif status >= 500:
        message = f"The usage endpoint had a server error ({name}); it will be tried again later."
    else:
        message = f"The usage endpoint answered {name}, which this version does not understand."
    raise ServerError(message, status=status, body_excerpt=excerpt)


def _usage_object(answer: _Answer, max_bytes: int, token: str) -> dict[str, Any]:
    def bad(message: str) -> BadResponse:
        return BadResponse(message, status=answer.status, body_excerpt=_excerpt(answer.body, token))

    if answer.over_cap:
        raise bad(f"The usage endpoint sent more than {_size(max_bytes)}, which is not a usage reading.")
    try:
        text = answer.body.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise bad("The usage endpoint sent text that is not valid UTF-8.") from failure
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as failure:
        raise bad("The usage endpoint sent something that is not JSON.") from failure
    if not isinstance(payload, dict):
        raise bad(f"The usage endpoint sent JSON {type(payload).__name__} instead of an object.")
    return _without_token(payload, token)


def _without_token(payload: dict[str, Any], token: str) -> dict[str, Any]:
    """The answer with the token masked in every text of it (keys too), however it was echoed, before any of
    it is stored or shown: a window name or a currency holding the token would reach the cache, the menu,
    the title and a notification (SPEC §8). Iterative: the nesting json accepted is no limit here."""
    if not token:
        return payload
    secrets = (token,)

    def clean(value: Any) -> Any:
        return redact(value, secrets) if isinstance(value, str) else value

    root: dict[str, Any] = {}
    work: list[tuple[Any, Any]] = [(payload, root)]
    while work:
        source, target = work.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if isinstance(value, (dict, list)):
                copy: Any = {} if isinstance(value, dict) else [None] * len(value)
                work.append((value, copy))
                value = copy
            else:
                value = clean(value)
            if isinstance(target, dict):
                target[clean(key)] = value
            else:
                target[key] = value
    return root


def _exchange(
    url: str, token: str, headers: dict[str, str], answer: _Answer | None, elapsed: float, error: str | None
) -> Exchange:
    secrets = (token,)
    sent = {"Authorization": f"Bearer {mask_token(token)}"}
    sent.update({name: redact(value, secrets) for name, value in headers.items()})
    return Exchange(
        method="GET",
        url=redact(url, secrets),
        status=answer.status if answer else None,
        request_headers=sent,
        # Names too: a server can put the token in a header's name. Escaped: this is printed to a terminal.
        response_headers={escape_controls(redact(n, secrets)): escape_controls(redact(v, secrets))
                          for n, v in answer.headers.items()} if answer else {},
        body=escape_controls(redact(answer.body.decode("utf-8", "replace"), secrets), keep="\n\t") if answer else "",
        elapsed_s=elapsed,
        error=redact(error, secrets) if error is not None else None,
    )


def _excerpt(body: bytes, token: str) -> str:
    """A short, single-line, redacted excerpt; HTML error pages are reduced to their text."""
    text = body[: _EXCERPT_CHARS * 8].decode("utf-8", "replace")
    if text.lstrip()[:1] == "<":
        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", text)
        text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    text = " ".join(redact(text, (token,)).split())  # redacted whole, before a cut could halve the token
    text = escape_controls(text)
    if len(text) > _EXCERPT_CHARS:
        text = text[: _EXCERPT_CHARS - 1] + "…"
    return redact(text, (token,))


def _api_message(body: bytes) -> str:
    try:
        error = json.loads(body.decode("utf-8")).get("error")
    except (ValueError, AttributeError, RecursionError):
        return ""
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else ""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def _status_name(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _duration(seconds: float) -> str:
    """`4 min 5 s`, `1 h 30 min`, `12 s` (at least 1 s, so a short wait never reads as nothing)."""
    minutes, secs = divmod(max(1, round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(p for p in parts if p)


def _size(count: int) -> str:
    return f"{count / (1 << 20):g} MiB" if count >= 1 << 20 else f"{count} bytes"
