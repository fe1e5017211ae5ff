"""The usage client against real servers on 127.0.0.1: headers, every error shape, limits, TLS, redaction."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.http_helpers import RawServer, closed_port, endless_chunked_body, endless_drip, slow_drip
from tray.errors import (
    ApiError,
    AuthRejected,
    BadResponse,
    CredentialsMalformed,
    NetworkError,
    RateLimited,
    ScopeRejected,
    ServerError,
    UsageError,
)
from tray.sources.client import MAX_BODY, Exchange, fetch_usage_json
from tray.sources.endpoint import DEFAULT_URL, api_url, parse_retry_after

UA = "claude-code/2.1.97"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
PATH = "/api/oauth/usage"
QUICK = {"connect_timeout": 0.3, "read_timeout": 0.3, "deadline_s": 0.6}


@pytest.fixture
def token(fixtures: Path) -> str:
    creds = json.loads((fixtures / "credentials" / "pro_valid.json").read_text())
    return creds["claudeAiOauth"]["accessToken"]


@pytest.fixture
def server(httpserver_ipv4: HTTPServer) -> HTTPServer:
    return httpserver_ipv4


def fetch(token: str, url: str, exchanges: list[Exchange] | None = None, **options: object) -> dict:
    return fetch_usage_json(token, url=url, user_agent=UA, now=NOW, exchanges=exchanges, **options)


def fetch_error(token: str, url: str, **options: object) -> ApiError:
    """The ApiError a fetch raises, after checking no message, excerpt or debug record holds the token."""
    exchanges: list[Exchange] = []
    with pytest.raises(ApiError) as caught:
        fetch(token, url, exchanges, **options)
    failure = caught.value
    assert token not in str(failure) and token not in failure.body_excerpt
    assert "\n" not in str(failure), "one sentence on one line"
    assert len(exchanges) == 1 and token not in repr(exchanges[0])
    assert exchanges[0].error == str(failure)
    return failure


# --- success and what the server sees -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["basic", "fresh_window", "limits_array", "null_windows_enterprise", "over_limit"]
)
def test_each_recorded_usage_answer_comes_back_as_the_same_object(
    server: HTTPServer, fixtures: Path, token: str, name: str
) -> None:
    body = (fixtures / "api" / f"{name}.json").read_text()
    server.expect_request(PATH).respond_with_data(body, content_type="application/json")
    assert fetch(token, server.url_for(PATH)) == json.loads(body)


def test_every_usage_fixture_is_covered(fixtures: Path) -> None:
    usage_files = {p.stem for p in (fixtures / "api").glob("*.json") if not p.stem.startswith("error_")}
    assert usage_files == {"basic", "fresh_window", "limits_array", "null_windows_enterprise", "over_limit"}


def test_server_sees_exactly_the_four_headers_with_the_bearer_token(server: HTTPServer, token: str) -> None:
    server.expect_request(PATH, method="GET").respond_with_json({})
    fetch(token, server.url_for(PATH))
    (request, _), = server.log
    sent = {name.lower(): value for name, value in request.headers.items()}
    assert sent.pop("host") == f"127.0.0.1:{server.port}"
    assert sent == {
        "authorization": f"Bearer {token}",
        "anthropic-beta": "oauth-2025-04-20",
        "accept": "application/json",
        "user-agent": UA,
    }


def test_debug_exchange_shows_the_request_and_answer_with_the_token_masked(
    server: HTTPServer, token: str
) -> None:
    server.expect_request(PATH).respond_with_json({"five_hour": None}, headers={"X-Request-Id": "req_1"})
    exchanges: list[Exchange] = []
    fetch(token, server.url_for(PATH), exchanges)
    (exchange,) = exchanges
    assert (exchange.method, exchange.url, exchange.status, exchange.error) == (
        "GET", server.url_for(PATH), 200, None)
    assert exchange.request_headers["Authorization"].startswith("Bearer sk-ant-oat01-")
    assert exchange.request_headers["User-Agent"] == UA
    assert exchange.response_headers["X-Request-Id"] == "req_1"
    assert json.loads(exchange.body) == {"five_hour": None}
    assert exchange.elapsed_s >= 0
    assert token not in repr(exchange)


def test_a_token_echoed_back_by_the_server_is_redacted_everywhere(server: HTTPServer, token: str) -> None:
    server.expect_request(PATH).respond_with_data(
        f'{{"error": {{"message": "Invalid bearer token {token}"}}}}', status=401,
        headers={"X-Echo": f"Bearer {token}"})
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, AuthRejected)
    assert "[REDACTED]" in failure.body_excerpt


def test_a_token_that_cannot_be_sent_is_refused_without_echoing_it(server: HTTPServer) -> None:
    bad = "sk-ant-oat01-FAKE\r\nX-Injected: 1-testonly"
    with pytest.raises(CredentialsMalformed) as caught:
        fetch(bad, server.url_for(PATH))
    assert "FAKE" not in str(caught.value)
    assert server.log == []


def test_turning_tls_verification_off_is_refused(server: HTTPServer, token: str) -> None:
    with pytest.raises(ValueError, match="verification"):
        fetch(token, server.url_for(PATH), verify=False)
    assert server.log == []


# --- error statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fixture", "word"), [("error_401_expired.json", "expired"),
                                               ("error_401_invalid.json", "invalid")])
def test_401_says_whether_the_token_expired_or_is_invalid_and_to_run_claude(
    server: HTTPServer, fixtures: Path, token: str, fixture: str, word: str
) -> None:
    server.expect_request(PATH).respond_with_data((fixtures / "api" / fixture).read_bytes(), status=401)
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, AuthRejected) and failure.status == 401
    assert word in str(failure) and "run `claude`" in str(failure)
    assert failure.exit_code == 3


def test_403_names_the_missing_scope(server: HTTPServer, fixtures: Path, token: str) -> None:
    body = (fixtures / "api" / "error_403_scope.json").read_bytes()
    server.expect_request(PATH).respond_with_data(body, status=403)
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, ScopeRejected) and failure.status == 403
    assert "user:profile" in str(failure)
    assert "permission_error" in failure.body_excerpt


def rate_limited(server: HTTPServer, fixtures: Path, token: str, retry_after: str | None) -> RateLimited:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = (fixtures / "api" / "error_429.json").read_bytes()
    server.expect_request(PATH).respond_with_data(body, status=429, headers=headers)
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, RateLimited) and failure.status == 429
    assert "expired" not in str(failure), "a 429 is never called expired credentials"
    return failure


def test_429_with_retry_after_seconds_reports_that_wait(server: HTTPServer, fixtures: Path, token: str) -> None:
    failure = rate_limited(server, fixtures, token, "245")
    assert failure.retry_after == 245.0
    assert "4 min 5 s" in str(failure)


def test_429_with_an_http_date_reports_seconds_until_then(
    server: HTTPServer, fixtures: Path, token: str
) -> None:
    failure = rate_limited(server, fixtures, token, format_datetime(NOW + timedelta(minutes=7), usegmt=True))
    assert failure.retry_after == 420.0


def test_429_with_retry_after_zero_is_zero_not_missing(server: HTTPServer, fixtures: Path, token: str) -> None:
    failure = rate_limited(server, fixtures, token, "0")
    assert failure.retry_after == 0.0
    assert "no wait time" in str(failure)


def test_429_without_retry_after_leaves_the_wait_to_the_gate(
    server: HTTPServer, fixtures: Path, token: str
) -> None:
    failure = rate_limited(server, fixtures, token, None)
    assert failure.retry_after is None
    assert "without saying for how long" in str(failure)


def test_500_is_a_server_error(server: HTTPServer, token: str) -> None:
    server.expect_request(PATH).respond_with_data("internal", status=500)
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, ServerError) and failure.status == 500
    assert "HTTP 500" in str(failure)


def test_an_html_502_page_becomes_a_clean_sentence_and_a_text_excerpt(
    server: HTTPServer, fixtures: Path, token: str
) -> None:
    page = (fixtures / "api" / "error_502.html").read_bytes()
    server.expect_request(PATH).respond_with_data(page, status=502, content_type="text/html")
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, ServerError) and failure.status == 502
    assert "HTTP 502 Bad Gateway" in str(failure) and "<" not in str(failure)
    assert failure.body_excerpt == "502 Bad Gateway 502 Bad Gateway cloudflare"


def test_an_unexpected_status_is_a_server_error(server: HTTPServer, token: str) -> None:
    server.expect_request(PATH).respond_with_data("nope", status=404)
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, ServerError) and failure.status == 404


def test_a_redirect_is_not_followed_and_its_target_never_sees_a_request(
    server: HTTPServer, token: str
) -> None:
    with HTTPServer(host="127.0.0.1", port=0) as elsewhere:
        elsewhere.expect_request(PATH).respond_with_json({"stolen": True})
        server.expect_request(PATH).respond_with_data(
            "", status=302, headers={"Location": elsewhere.url_for(PATH)})
        failure = fetch_error(token, server.url_for(PATH))
        assert elsewhere.log == []
    assert isinstance(failure, ServerError) and failure.status == 302
    assert "redirect" in str(failure)


# --- bodies that are not a usage object ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "why"),
    [(b'{"five_hour": "\xff\xfe"}', "UTF-8"), (b"<html>ok</html>", "not JSON"), (b'[{"five_hour": null}]',
     "instead of an object"), (b"null", "instead of an object"), (b"[" * 100_000, "not JSON")],
)
def test_a_200_that_is_not_a_json_object_is_a_bad_response(
    server: HTTPServer, token: str, body: bytes, why: str
) -> None:
    server.expect_request(PATH).respond_with_data(body, content_type="application/json")
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, BadResponse) and why in str(failure)


def test_a_body_over_the_cap_is_a_bad_response(server: HTTPServer, token: str) -> None:
    server.expect_request(PATH).respond_with_data(b"{}" + b" " * MAX_BODY, content_type="application/json")
    failure = fetch_error(token, server.url_for(PATH))
    assert isinstance(failure, BadResponse) and "1 MiB" in str(failure)


def test_a_body_of_exactly_the_cap_is_read(server: HTTPServer, token: str) -> None:
    server.expect_request(PATH).respond_with_data(b"{}" + b" " * 998, content_type="application/json")
    assert fetch(token, server.url_for(PATH), max_bytes=1000) == {}


def test_an_endless_chunked_body_ends_at_the_cap(token: str) -> None:
    with RawServer(endless_chunked_body) as raw:
        failure = fetch_error(token, raw.url(), max_bytes=256 * 1024, deadline_s=60)
    assert isinstance(failure, BadResponse)


def test_an_endless_drip_ends_at_the_deadline(token: str) -> None:
    with RawServer(endless_drip) as raw:
        failure = fetch_error(token, raw.url(), max_bytes=1 << 30, read_timeout=5, deadline_s=0.3)
    assert isinstance(failure, NetworkError) and "too long" in str(failure)


def test_a_slow_drip_ends_at_the_deadline(token: str) -> None:
    with RawServer(slow_drip) as raw:
        failure = fetch_error(token, raw.url(), read_timeout=5, deadline_s=0.3)
    assert isinstance(failure, NetworkError) and "too long" in str(failure)


# --- no answer -----------------------------------------------------------------------------------------


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # let the blocked handler finish so the shared server serves the next test


def test_an_answer_slower_than_the_read_timeout_is_a_network_error(
    server: HTTPServer, token: str, release: threading.Event
) -> None:
    def stall(request: Request) -> Response:
        release.wait(timeout=30)
        return Response("{}", content_type="application/json")

    server.expect_request(PATH).respond_with_handler(stall)
    failure = fetch_error(token, server.url_for(PATH), **QUICK)
    assert isinstance(failure, NetworkError) and "did not answer" in str(failure)
    assert failure.exit_code == 5


def test_a_proxy_setting_never_receives_a_request_to_this_computer(
    server: HTTPServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Plain http through a proxy would hand it the token; a dead proxy proves the request went direct.
    with RawServer(lambda conn: None) as proxy:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url("/"))
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        server.expect_request(PATH).respond_with_json({"seven_day": None})
        assert fetch(token, server.url_for(PATH)) == {"seven_day": None}
    assert proxy.connections == 0


def test_a_closed_port_is_a_network_error(token: str) -> None:
    failure = fetch_error(token, f"http://127.0.0.1:{closed_port()}{PATH}", **QUICK)
    assert isinstance(failure, NetworkError) and "refused" in str(failure)


# --- TLS -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with HTTPServer(host="127.0.0.1", port=0, ssl_context=context) as server:
        yield server


def test_https_with_a_trusted_ca_succeeds(tls_server: HTTPServer, ca: trustme.CA, token: str,
                                          tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    tls_server.expect_request(PATH).respond_with_json({"five_hour": None})
    url = tls_server.url_for(PATH)
    assert url.startswith("https://")
    assert fetch(token, url, verify=str(bundle)) == {"five_hour": None}


def test_https_with_an_untrusted_certificate_fails_and_sends_nothing(tls_server: HTTPServer,
                                                                      token: str) -> None:
    tls_server.expect_request(PATH).respond_with_json({"five_hour": None})
    failure = fetch_error(token, tls_server.url_for(PATH))
    assert isinstance(failure, NetworkError) and "certificate" in str(failure)
    assert tls_server.log == []


# --- which URLs may receive the token -------------------------------------------------------------------


def test_without_an_override_the_anthropic_endpoint_is_used() -> None:
    assert api_url({}) == DEFAULT_URL == "https://api.anthropic.com/api/oauth/usage"
    assert api_url({"CLAUDE_TRAY_API_URL": "  "}) == DEFAULT_URL


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1234/x", "http://127.9.8.7/x", "http://localhost/x", "http://[::1]/x",
            "https://proxy.example/x", "HTTPS://api.anthropic.com/api/oauth/usage"],
)
def test_https_anywhere_or_http_to_this_computer_is_accepted(url: str) -> None:
    assert api_url({"CLAUDE_TRAY_API_URL": url}) == url


@pytest.mark.parametrize(
    "url", ["http://example.com/x", "http://10.0.0.1/x", "ftp://127.0.0.1/x", "http://localhost.evil.example/x",
            "http://127.0.0.1.nip.io/x", "https:///x", "file:///etc/passwd", "127.0.0.1:8080", "http://[::1/x",
            "http://127.0.0.1:99999/x"],
)
def test_other_urls_are_refused_with_one_clear_sentence(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        api_url({"CLAUDE_TRAY_API_URL": url})
    message = str(caught.value)
    assert "CLAUDE_TRAY_API_URL" in message and "https://" in message and "\n" not in message


def test_fetch_refuses_a_plain_http_url_to_another_host(token: str) -> None:
    with pytest.raises(UsageError):
        fetch(token, "http://example.com/api/oauth/usage")


# --- Retry-After ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("245", 245.0), ("0", 0.0), (" 60 ", 60.0), ("1.5", None), ("0.000001", None), (None, None), ("", None),
     ("soon", None), ("-5", None), ("Sun, 01 Mar 2026 12:05:00 GMT", 300.0), ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),
     ("Sun, 01 Mar 2026 12:01:00 -0000", 60.0), ("99999999999", 86400.0),
     ("Fri, 01 Mar 2030 12:00:00 GMT", 86400.0), ("Sun, 99 Foo 2026 12:00:00 GMT", None)],
)
def test_retry_after_is_read_as_seconds_or_a_date_clamped_to_a_day(value: str | None,
                                                                    seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds
