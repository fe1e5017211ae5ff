"""Claude Code's OAuth credentials as a value, parsed from its JSON and checked before use (SPEC §2).

Pure and standard library only: text in, `Credentials` or a `CredentialsError` out. Where the text came
from (file, Keychain) is the caller's business; it only passes a description for the messages.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from tray.base.redact import mask_token
from tray.base.values import field, record
from tray.errors import CredentialsMalformed, CredentialsMissing, MissingScope, SignedOut, TokenExpired

PROFILE_SCOPE = "user:profile"  # the usage endpoint answers 403 without it
SIGNED_OUT = "Claude Code is signed out: run `claude` and sign in."


@record
class Credentials:
    access_token: str = field(repr=False)
    expires_at: datetime | None  # aware UTC; None when Claude Code wrote no expiresAt
    scopes: tuple[str, ...]
    subscription_type: str | None  # lower-cased: "pro", "max", "team", "enterprise", "free"
    rate_limit_tier: str | None
    source: str  # "file" or "keychain"

    def __repr__(self) -> str:
        # The dataclass repr would print the token; show only its kind.
        return (
            f"Credentials(access_token={mask_token(self.access_token)!r}, expires_at={self.expires_at!r}, "
            f"scopes={self.scopes!r}, subscription_type={self.subscription_type!r}, "
            f"rate_limit_tier={self.rate_limit_tier!r}, source={self.source!r})"
        )

    def fingerprint(self) -> str:
        """A short digest that tells the fetch gate "the token changed" without storing the token.

        Two checksums, not a cryptographic hash: change detection is all it is for, and hashlib would load
        OpenSSL's libcrypto (3.6 MB of resident memory) into a tray that otherwise never needs it.
        """
        import zlib  # only a fetch asks; `status` reads credentials without it

        data = self.access_token.encode("utf-8", "surrogatepass")  # a lone surrogate is still a change
        return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and _aware(now) >= self.expires_at


def parse_credentials(text: str, *, source: str, where: str) -> Credentials:
    """Claude Code's credentials JSON -> `Credentials`.

    `where` names the origin in messages ("/home/ann/.claude/.credentials.json"); nothing of the
    document itself ever goes into a message, because the document holds the token.
    """
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep for json (not a ValueError)
        # `from None`: a JSONDecodeError keeps the whole document, token included, in `.doc`.
        raise CredentialsMalformed(
            f"Claude Code's credentials in {where} are not valid JSON (empty, or caught mid-write): "
            "run `claude` once so it rewrites them, then refresh."
        ) from None
    if not isinstance(document, dict):
        raise _wrong_type(where, "top level", document, "an object")
    oauth = document.get("claudeAiOauth")
    if oauth is None:
        # e.g. only `mcpOAuth` entries: Claude Code used MCP servers but never signed in to Claude.ai.
        raise CredentialsMissing(
            f"Claude Code's credentials in {where} hold no Claude.ai sign-in: "
            "run `claude` and sign in with your Claude subscription."
        )
    if not isinstance(oauth, dict):
        raise _wrong_type(where, "claudeAiOauth", oauth, "an object")

    token = oauth.get("accessToken")
    if token is not None and not isinstance(token, str):
        raise _wrong_type(where, "accessToken", token, "text")
    expires_ms = oauth.get("expiresAt")
    if expires_ms is not None and (isinstance(expires_ms, bool) or not isinstance(expires_ms, (int, float))):
        raise _wrong_type(where, "expiresAt", expires_ms, "milliseconds")
    # Logging out leaves `accessToken: ""` and `expiresAt: 0` behind (fixtures/credentials/signed_out.json).
    if not token or not token.strip() or expires_ms == 0:
        raise SignedOut(SIGNED_OUT)

    return Credentials(
        access_token=token.strip(),
        expires_at=None if expires_ms is None else _expiry(expires_ms, where),
        scopes=_scopes(oauth.get("scopes"), where),
        subscription_type=_label(oauth.get("subscriptionType"), lower=True),
        rate_limit_tier=_label(oauth.get("rateLimitTier"), lower=False),
        source=source,
    )


def check_usable(creds: Credentials, now: datetime) -> None:
    """Raise when sending this token is pointless: the answer would be a 403 or a 401."""
    if PROFILE_SCOPE not in creds.scopes:
        raise MissingScope(
            "This sign-in lacks the user:profile scope, so it cannot read usage "
            "(a `claude setup-token` token or an API key never can): sign in with `claude` instead."
        )
    if creds.is_expired(now) and creds.expires_at is not None:
        raise TokenExpired(
            f"Claude Code's sign-in expired at {_local_time(creds.expires_at, _aware(now))} — "
            "run `claude` once to refresh it; this tray never refreshes tokens itself."
        )


# An expiry outside these is no real one (year 1, year 9999): it is read as the nearest of the two, so a
# long-gone expiry still reads as expired and a far one as valid, and no local-time conversion overflows.
_EARLIEST_EXPIRY_S = 86400.0  # 1970-01-02
_LATEST_EXPIRY_S = 32503593600.0  # 2999-12-31


def _expiry(milliseconds: float, where: str) -> datetime:
    try:
        datetime.fromtimestamp(milliseconds / 1000.0, tz=timezone.utc)  # beyond any calendar: not an expiry
    except (OverflowError, OSError, ValueError):
        raise _wrong_type(where, "expiresAt", milliseconds, "milliseconds since 1970") from None
    seconds = min(max(milliseconds / 1000.0, _EARLIEST_EXPIRY_S), _LATEST_EXPIRY_S)
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _scopes(raw: object, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(scope, str) for scope in raw):
        raise _wrong_type(where, "scopes", raw, "a list of text")
    return tuple(raw)


def _label(raw: object, *, lower: bool) -> str | None:
    # Display-only fields: drift here must not stop the tray from fetching.
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip().lower() if lower else raw.strip()


def _wrong_type(where: str, name: str, value: object, expected: str) -> CredentialsMalformed:
    # Only the type's name, never the value: the value may be the token.
    return CredentialsMalformed(
        f"Claude Code's credentials in {where} have an unexpected {name} "
        f"({type(value).__name__}, expected {expected}): "
        "run `claude` once so it rewrites them, or sign in again."
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _local_time(moment: datetime, now: datetime) -> str:
    """`14:02` today, `Mon 29 Dec 14:02` otherwise, in the user's local time zone."""
    from tray.base.timefmt import to_local

    local, local_now = to_local(moment), to_local(now)
    return local.strftime("%H:%M") if local.date() == local_now.date() else local.strftime("%a %d %b %H:%M")
