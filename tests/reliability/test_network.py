"""Network faults through the whole fetch cycle: each ends in one sentence, a backoff every process obeys,
the last good reading kept, and the token sent nowhere it should not go (SPEC §2, §4, §8)."""

from __future__ import annotations

import io
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer

from tests.http_helpers import RawServer, closed_port, endless_chunked_body
from tests.reliability.conftest import TOKEN_CORE, cache_of, tray_env
from tray import statusline
from tray.errors import BadResponse, NetworkError
from tray.fetching.fetch import run_fetch
from tray.sources.client import fetch_usage_json
from tray.store import cache

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
STDIN = '{"rate_limits": {"five_hour": {"used_percentage": 23}, "seven_day": {"used_percentage": 41}}}'


def with_old_reading(home: Path) -> None:
    """A good reading from two hours ago, so a fetch is due and there is something to keep."""
    statusline.main(io.StringIO(STDIN), io.StringIO(), tray_env(home), NOW - timedelta(hours=2))


def assert_failed_politely(home: Path, kind: type, url: str, figures, name: str, **options: object) -> str:
    with_old_reading(home)
    outcome = run_fetch(cache_of(home), NOW, env=tray_env(home, url), **options)
    assert outcome.fetched and isinstance(outcome.error, kind), outcome
    message = str(outcome.error)
    assert "\n" not in message and TOKEN_CORE[:12] not in message
    state = cache.read_state(cache_of(home))
    assert state.usage.five_hour.utilization == 23  # the last good reading is kept
    assert state.last_error.kind == outcome.error.kind
    assert state.gate.reason == "backoff" and state.gate.next_fetch_at >= NOW + timedelta(seconds=30)
    again = run_fetch(cache_of(home), NOW + timedelta(seconds=20), env=tray_env(home, url), **options)
    assert not again.fetched  # every process now waits out the backoff
    figures(f"network.{name}", kind=outcome.error.kind, message=message)
    return message


def test_network_down_is_a_network_error_and_a_backoff(home_factory, figures) -> None:
    message = assert_failed_politely(home_factory(), NetworkError, f"http://127.0.0.1:{closed_port()}/u",
                                     figures, "connection_refused")
    assert "refused" in message


def test_a_name_that_cannot_resolve_is_a_network_error(home_factory, figures) -> None:
    # `.invalid` never resolves (RFC 2606): nothing leaves the machine.
    message = assert_failed_politely(home_factory(), NetworkError, "https://nonexistent.invalid/api/oauth/usage",
                                     figures, "dns_failure")
    assert "resolved" in message or "reached" in message


def test_a_server_that_accepts_and_never_answers_ends_at_the_read_timeout(figures) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # the kernel accepts; nobody ever answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/u"
        with pytest.raises(NetworkError, match="did not answer"):
            fetch_usage_json("sk-ant-oat01-x-testonly", url=url, user_agent="t", read_timeout=0.3, deadline_s=2)
    figures("network.never_answers", kind="network", read_timeout_s=0.3)


def test_a_10_mb_body_is_a_bad_response_read_only_up_to_the_cap(home_factory, httpserver: HTTPServer,
                                                                 figures) -> None:
    httpserver.expect_request("/u").respond_with_data(b"{" + b" " * (10 << 20) + b"}",
                                                      content_type="application/json")
    assert_failed_politely(home_factory(), BadResponse, httpserver.url_for("/u"), figures, "ten_mb_body")


def test_an_endless_chunked_body_is_a_bad_response(home_factory, figures) -> None:
    with RawServer(endless_chunked_body) as server:
        assert_failed_politely(home_factory(), BadResponse, server.url(), figures, "endless_chunked")


def test_invalid_utf8_is_a_bad_response(home_factory, httpserver: HTTPServer, figures) -> None:
    httpserver.expect_request("/u").respond_with_data(b'{"five_hour": {"utilization": 5, "x": "\xff\xfe"}}',
                                                      content_type="application/json")
    message = assert_failed_politely(home_factory(), BadResponse, httpserver.url_for("/u"), figures, "bad_utf8")
    assert "UTF-8" in message


@pytest.fixture
def tls_server() -> Iterator[HTTPServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with HTTPServer(host="127.0.0.1", port=0, ssl_context=context) as server:
        yield server


def test_an_untrusted_certificate_fails_and_the_request_is_never_sent(home_factory, tls_server: HTTPServer,
                                                                      figures) -> None:
    tls_server.expect_request("/u").respond_with_json({"five_hour": None})
    message = assert_failed_politely(home_factory(), NetworkError, tls_server.url_for("/u"), figures,
                                     "untrusted_tls")
    assert "certificate" in message
    assert tls_server.log == []


def test_https_to_a_plain_http_server_never_downgrades(home_factory, figures) -> None:
    seen = bytearray()

    def plain_http(listener: socket.socket) -> None:
        conn, _ = listener.accept()
        with conn:
            seen.extend(conn.recv(65536))  # the first thing the client says
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = threading.Thread(target=plain_http, args=(listener,), daemon=True)
        server.start()
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/u"
        assert_failed_politely(home_factory(), NetworkError, url, figures, "no_downgrade")
        server.join(timeout=10)
    # What reached the server is a TLS ClientHello, never an HTTP request carrying the token.
    assert b"Authorization" not in seen and TOKEN_CORE.encode() not in seen and b"GET " not in seen
