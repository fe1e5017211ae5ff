"""The project's small error hierarchy; the CLI maps each class to an exit code (SPEC §6).

Standard library only: the status-line path imports this.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    AUTH = 3
    RATE_LIMITED = 4
    NETWORK = 5
    BAD_RESPONSE = 6


class TrayError(Exception):
    """An expected failure: its message is one plain sentence that says what to do."""

    exit_code: ExitCode = ExitCode.FAILURE
    kind: str = "error"


class UsageError(TrayError):
    """Bad command-line input or configuration."""

    exit_code = ExitCode.USAGE
    kind = "usage"


class CredentialsError(TrayError):
    """No usable Claude Code credentials; nothing is sent."""

    exit_code = ExitCode.AUTH
    kind = "credentials"


class CredentialsMissing(CredentialsError):
    kind = "no_credentials"


class SignedOut(CredentialsError):
    kind = "signed_out"


class TokenExpired(CredentialsError):
    kind = "expired"


class MissingScope(CredentialsError):
    kind = "scope"


class CredentialsMalformed(CredentialsError):
    kind = "malformed"


class ApiError(TrayError):
    """A failed request to the usage endpoint."""

    kind = "api"

    def __init__(self, message: str, *, status: int | None = None, body_excerpt: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body_excerpt = body_excerpt


class AuthRejected(ApiError):
    """HTTP 401: the token is invalid or expired."""

    exit_code = ExitCode.AUTH
    kind = "auth"


class ScopeRejected(ApiError):
    """HTTP 403: the token lacks the `user:profile` scope."""

    exit_code = ExitCode.AUTH
    kind = "scope"


class RateLimited(ApiError):
    """HTTP 429; `retry_after` is seconds to wait (None when the server gave none)."""

    exit_code = ExitCode.RATE_LIMITED
    kind = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        body_excerpt: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, body_excerpt=body_excerpt)
        self.retry_after = retry_after


class ServerError(ApiError):
    """HTTP 5xx or another unexpected status."""

    exit_code = ExitCode.NETWORK
    kind = "server"


class NetworkError(ApiError):
    """No answer: DNS, refused connection, timeout, TLS failure."""

    exit_code = ExitCode.NETWORK
    kind = "network"


class BadResponse(ApiError):
    """An answer that is not the usage JSON we understand."""

    exit_code = ExitCode.BAD_RESPONSE
    kind = "bad_response"


class UnrecognisedAnswer(BadResponse):
    """Usage JSON with no window (and no extra usage) this version recognises: not "ok", its own state (SPEC §4)."""

    kind = "unrecognised"


class CacheError(TrayError):
    """The shared cache could not be written (the old file is left intact)."""

    exit_code = ExitCode.FAILURE
    kind = "cache"


class DisplayUnavailable(TrayError):
    """No display or tray host to show an icon on."""

    exit_code = ExitCode.FAILURE
    kind = "display"


class AutostartError(TrayError):
    """Launch at login could not be changed on this system."""

    exit_code = ExitCode.FAILURE
    kind = "autostart"
