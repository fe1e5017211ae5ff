"""Real servers on 127.0.0.1 for client tests: a raw-socket server for answers werkzeug will not send."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from types import TracebackType


class RawServer:
    """Accepts connections on <host>:<free port>, reads one request head, hands the socket to `answer`.

    `answer` may write forever: a write to a client that hung up raises, which ends it. `connections`
    counts accepted connections, so a test can prove nothing ever connected; `requests` keeps each head.
    """

    def __init__(self, answer: Callable[[socket.socket], None], host: str = "127.0.0.1",
                 patience_s: float = 5) -> None:
        self._answer = answer
        self.host = host
        self._patience_s = patience_s
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str = "/api/oauth/usage") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(self._patience_s)
                head = b""
                try:
                    while b"\r\n\r\n" not in head:
                        data = conn.recv(4096)
                        if not data:
                            break
                        head += data
                    self.requests.append(head)
                    self._answer(conn)
                except OSError:
                    pass  # the client hung up: exactly what an endless answer waits for


def endless_chunked_body(conn: socket.socket) -> None:
    """A 200 whose chunked body never ends: the same small JSON-ish chunk, forever."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b" " * 1024
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    while True:
        conn.sendall(frame)


def endless_drip(conn: socket.socket) -> None:
    """A 200 that sends one byte per chunk forever: every read succeeds, the whole never ends."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    while True:
        conn.sendall(b"1\r\n \r\n")


def slow_drip(conn: socket.socket) -> None:
    """A 200 that sends one byte of its chunked body every 20 ms, forever: each read is quick, the whole is not."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    pace = threading.Event()  # never set: wait() is the server's clock, the test itself never sleeps
    while True:
        conn.sendall(b"1\r\n \r\n")
        pace.wait(0.02)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
