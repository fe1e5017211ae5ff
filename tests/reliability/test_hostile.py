"""Hostile servers and URLs: the token goes only where the check approved, every exchange ends by one
deadline, a server's text is escaped and bounded before anything shows it, and a Retry-After is only what a
server can mean (SPEC §2, §4, §8). Real loopback servers on 127.0.0.1 and 127.0.0.2, raw sockets for what no
HTTP server library would send, and a short injected deadline instead of long waits.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import pytest
import urllib3
from hypothesis import example, given
from hypothesis import strategies as st

from tests.http_helpers import RawServer
from tests.reliability.conftest import TOKEN, TOKEN_CORE
from tray.errors import NetworkError, UsageError
from tray.sources.client import fetch_usage_json
from tray.sources.endpoint import check_url, is_loopback, parse_retry_after, same_host

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
UA = "claude-code/2.1.80"
ANSWER = b'{"five_hour": {"utilization": 12, "resets_at": null}}'


class Listener(RawServer):
    """A loopback HTTP server on `host` that records each request head and answers with `answer`."""

    def __init__(self, host: str, answer: Callable[[socket.socket], None] | None = None,
                 patience_s: float = 2) -> None:
        super().__init__(answer or self._ok, host=host, patience_s=patience_s)

    @property
    def heads(self) -> list[bytes]:
        return self.requests

    @staticmethod
    def _ok(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (len(ANSWER), ANSWER))

    def tokens_seen(self) -> int:
        return sum(head.count(TOKEN_CORE.encode()) for head in self.heads)


@pytest.fixture
def two_hosts() -> Iterator[tuple[Listener, Listener]]:
    try:
        second = Listener("127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not routable here")
    with Listener("127.0.0.1") as first, second:
        yield first, second


def hostile_urls(p1: int, p2: int) -> list[str]:
    """Each form that urllib.parse and urllib3 (or a browser) read as different hosts, or a non-loopback
    host behind plain http."""
    return [
        f"http://127.0.0.2:{p2}\\@127.0.0.1:{p1}/api/oauth/usage",  # the measured one: urllib3 -> 127.0.0.2
        f"http://127.0.0.1:{p1}\\@127.0.0.2:{p2}/api/oauth/usage",
        f"http://127.0.0.2:{p2}@127.0.0.1:{p1}/api/oauth/usage",
        f"http://a@127.0.0.2:{p2}@127.0.0.1:{p1}/",
        f"http://127.0.0.1:{p1}%2f@127.0.0.2:{p2}/",
        f"http://127.0.0.1:{p1}%40127.0.0.2:{p2}/",
        f"http://127.0.0.1\t:{p1}/",
        f"http://127.0.0.1:{p1} @127.0.0.2:{p2}/",
        f"http://①②⑦.0.0.1:{p1}/",
        f"http://127。0。0。2:{p2}/",
        f"http://127.0.0.2:{p2}:{p1}/",
        "http://usage-proxy.invalid/api/oauth/usage",
        "http://localhost.invalid/api/oauth/usage",
        "http://127.0.0.1.nip.io/api/oauth/usage",
        "http://2130706434/",  # 127.0.0.2 as one number: no parser's loopback
        "ftp://127.0.0.1/",
    ]


def test_the_token_never_reaches_a_host_the_check_did_not_approve(two_hosts: tuple[Listener, Listener]) -> None:
    first, second = two_hosts
    for url in hostile_urls(first.port, second.port):
        with pytest.raises(UsageError) as refused:
            fetch_usage_json(TOKEN, url=url, user_agent=UA, deadline_s=2)
        assert "\n" not in str(refused.value) and "\x1b" not in str(refused.value), url
    assert first.tokens_seen() == second.tokens_seen() == 0
    assert first.heads == second.heads == []
    # The plain forms go exactly where they say.
    assert fetch_usage_json(TOKEN, url=f"http://127.0.0.2:{second.port}/api/oauth/usage", user_agent=UA,
                            deadline_s=5)["five_hour"]["utilization"] == 12
    assert (first.tokens_seen(), second.tokens_seen()) == (0, 1)


def test_doctor_names_the_host_the_token_goes_to_and_refuses_the_rest(tmp_path) -> None:
    from tray.doctor import BAD, OK, _endpoint_checks

    [accepted] = _endpoint_checks({"CLAUDE_TRAY_API_URL": "http://127.0.0.1:8123/api/oauth/usage"})
    assert accepted.mark == OK and "127.0.0.1:8123" in accepted.title
    for url in hostile_urls(8123, 8124):
        [check] = _endpoint_checks({"CLAUDE_TRAY_API_URL": url})
        assert check.mark == BAD and "accepted" not in check.title, url


hosts = st.one_of(
    st.sampled_from(["127.0.0.1", "127.0.0.2", "localhost", "LocalHost", "[::1]", "example.com", "api.anthropic.com",
                     "[::ffff:127.0.0.1]", "xn--e1a.com", "a-b.c"]),
    st.text(alphabet="abc.-0123456789[]:@%\\/?#", max_size=20),
)
authority_junk = st.lists(st.sampled_from([*"@\\%:/?#[] \t.a1", "é", "。", "①", "%2f", "%40"]),
                          max_size=6).map("".join)


@given(st.sampled_from(["http", "https", "HTTP"]), hosts, authority_junk, st.one_of(st.none(), st.integers(0, 70000)),
       st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=15))
@example("http", "127.0.0.2:1\\", "@127.0.0.1", 2, "/u")
@example("http", "127.0.0.1", "%2f@evil", None, "/")
def test_every_url_the_check_accepts_connects_where_the_check_says(
    scheme: str, host: str, junk: str, port: int | None, rest: str
) -> None:
    url = f"{scheme}://{host}{junk}" + (f":{port}" if port is not None else "") + rest
    try:
        target = check_url(url)
    except UsageError:
        return
    parsed = urllib3.util.parse_url(url)
    assert same_host(parsed.host or "", target.host)
    assert (parsed.port or {"http": 80, "https": 443}[parsed.scheme]) == target.port
    assert target.scheme == "https" or is_loopback(parsed.host or "")


# --- one deadline over the whole exchange -------------------------------------------------------------

def dripping(frames: Callable[[], Iterator[bytes]], every_s: float, stop: threading.Event) -> Callable:
    def answer(conn: socket.socket) -> None:
        for frame in frames():
            conn.sendall(frame)
            if stop.wait(every_s):  # the server's clock; the test never sleeps
                return
    return answer


def header_bytes() -> Iterator[bytes]:
    yield b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: "
    while True:
        yield b"a"


def continues() -> Iterator[bytes]:
    while True:
        yield b"HTTP/1.1 100 Continue\r\n\r\n"


def status_line_bytes() -> Iterator[bytes]:
    line = b"HTTP/1.1 200 OK\r\n" * 100
    for i in range(len(line)):
        yield line[i:i + 1]


@pytest.mark.parametrize(("name", "frames", "every_s"), [
    ("one header byte a second", header_bytes, 1.0),
    ("100 Continue every 2 s", continues, 2.0),
    ("the status line one byte every 5 s", status_line_bytes, 5.0),
])
def test_a_dripping_server_is_abandoned_at_the_deadline(name: str, frames, every_s: float, figures) -> None:
    stop = threading.Event()
    with Listener("127.0.0.1", dripping(frames, every_s, stop)) as server:
        started = time.monotonic()
        with pytest.raises(NetworkError) as abandoned:
            fetch_usage_json(TOKEN, url=f"http://127.0.0.1:{server.port}/api/oauth/usage", user_agent=UA,
                             connect_timeout=5, read_timeout=15, deadline_s=2)
        took = time.monotonic() - started
        stop.set()
    assert "too long" in str(abandoned.value)
    assert took < 2 + 3  # the deadline, not the 15 s read timeout (nor the 75 s measured before)
    figures(f"hostile.deadline.{name.replace(' ', '_')}", deadline_s=2, took_s=round(took, 2))


# --- Retry-After ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["0.000001", "1.5", "1e3", "0x10", "+5", "-5", "5 s", "٣", "NaN", "inf"])
def test_a_retry_after_that_is_neither_integer_seconds_nor_a_date_counts_as_missing(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


def test_a_refused_url_never_reaches_the_network_even_through_the_fetch_cycle(
    two_hosts: tuple[Listener, Listener], home_factory
) -> None:
    from tests.reliability.conftest import cache_of, tray_env
    from tray.fetching.fetch import run_fetch

    first, second = two_hosts
    home = home_factory()
    url = f"http://127.0.0.2:{second.port}\\@127.0.0.1:{first.port}/api/oauth/usage"
    with pytest.raises(UsageError, match="refused"):
        run_fetch(cache_of(home), NOW, env=tray_env(home, url), manual=True)
    assert first.heads == second.heads == []


def tls_record_bytes() -> Iterator[bytes]:
    """The start of a TLS handshake record announcing 16 kB, then its body one byte at a time."""
    yield b"\x16\x03\x03\x40\x00\x02"
    while True:
        yield b"\x00"


def test_a_server_that_drips_the_tls_handshake_is_abandoned_at_the_deadline(figures) -> None:
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)  # the ClientHello
            try:
                dripping(tls_record_bytes, 1.0, stop)(conn)
            except OSError:
                pass  # the client hung up

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        started = time.monotonic()
        with pytest.raises(NetworkError):
            fetch_usage_json(TOKEN, url=f"https://127.0.0.1:{listener.getsockname()[1]}/api/oauth/usage",
                             user_agent=UA, connect_timeout=5, read_timeout=15, deadline_s=3)
        took = time.monotonic() - started
    finally:
        stop.set()
        server.join(timeout=10)
        listener.close()
    assert took < 3 + 3  # the deadline, not a connect timeout restarted by every byte
    figures("hostile.deadline.tls_handshake_drip", deadline_s=3, took_s=round(took, 2))


def test_a_proxy_that_drips_its_answer_is_abandoned_at_the_deadline(monkeypatch, figures) -> None:
    stop = threading.Event()

    def connect_reply() -> Iterator[bytes]:
        for byte in b"HTTP/1.1 200 Connection established\r\n" * 50:
            yield bytes([byte])

    with Listener("127.0.0.1", dripping(connect_reply, 1.0, stop)) as proxy:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        started = time.monotonic()
        with pytest.raises(NetworkError):
            fetch_usage_json(TOKEN, url="https://usage.example.invalid/api/oauth/usage", user_agent=UA,
                             connect_timeout=5, read_timeout=15, deadline_s=2)
        took = time.monotonic() - started
        stop.set()
    assert proxy.heads and proxy.heads[0].startswith(b"CONNECT usage.example.invalid:443")
    assert proxy.tokens_seen() == 0  # the proxy sees the tunnel's target, never the token
    assert took < 2 + 3
    figures("hostile.deadline.proxy_drip", deadline_s=2, took_s=round(took, 2))
