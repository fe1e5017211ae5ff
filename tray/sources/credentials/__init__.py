"""Where the tray gets Claude Code's sign-in: the macOS Keychain, else the credentials file (SPEC §2).

Read-only, always: refresh tokens are single-use, and a third party refreshing one logs Claude Code out.
Re-read before every fetch, since Claude Code refreshes the token whenever it runs. Standard library only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import datetime

from tray.errors import CredentialsError, CredentialsMissing
from tray.sources.credentials.file import credentials_mode_warning, read_credentials_text
from tray.sources.credentials.model import Credentials, check_usable, parse_credentials
from tray.store.paths import credentials_path_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Credentials",
    "check_usable",
    "credentials_mode_warning",
    "credentials_problem",
    "read_credentials",
    "usable_credentials",
]


def read_credentials(
    env: Mapping[str, str] | None = None,
    *,
    platform: str = sys.platform,
    security: str | None = None,
    keychain_timeout: float = 3.0,
) -> Credentials:
    """The current credentials. macOS: the Keychain first, then the file; elsewhere the file.

    Raises CredentialsMissing, SignedOut or CredentialsMalformed with a one-sentence fix. Does not judge
    expiry or scope: that is `check_usable`, so `doctor` can still show an expired sign-in's plan.
    """
    env = os.environ if env is None else env
    keychain_problem: CredentialsError | None = None
    if platform == "darwin":
        from tray.sources.credentials.keychain import (  # subprocess, getpass: only where it is used
            WHERE,
            keychain_blobs,
        )

        for blob in keychain_blobs(env, security=security, timeout=keychain_timeout):
            try:
                return parse_credentials(blob, source="keychain", where=WHERE)
            except CredentialsError as problem:  # e.g. signed out for this account: try the next source
                keychain_problem = keychain_problem or problem

    path = credentials_path_str(env)
    text = read_credentials_text(path)
    if text is not None:
        return parse_credentials(text, source="file", where=path)
    if keychain_problem is not None:
        # No file to fall back to: what the Keychain said is the most useful thing to report.
        raise keychain_problem
    where = f"in the Keychain or at {path}" if platform == "darwin" else f"at {path}"
    raise CredentialsMissing(
        f"No Claude Code sign-in found {where}: run `claude` and sign in "
        "(or set CLAUDE_CONFIG_DIR to the folder Claude Code uses)."
    )


def usable_credentials(env: Mapping[str, str] | None = None, *, now: datetime, **kw: Any) -> Credentials:
    """`read_credentials`, then `check_usable`: what a fetch may send, or the reason it may not."""
    creds = read_credentials(env, **kw)
    check_usable(creds, now)
    return creds


def credentials_problem(env: Mapping[str, str] | None = None, *, now: datetime) -> str | None:
    """The kind of problem `usable_credentials` would raise (expired, signed_out, …), or None. Never raises."""
    try:
        usable_credentials(env, now=now)
    except CredentialsError as problem:
        return problem.kind
    return None
