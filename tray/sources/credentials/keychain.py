"""macOS login Keychain, through Apple's `security` command (SPEC §2). Read-only and time-boxed.

The whole adapter is "run `security find-generic-password … -w`, read its stdout": tests put a stand-in
`security` script on PATH, so this module runs unchanged, and is tested, on Linux.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping

from tray.base.values import record
from tray.sources.subproc import kill_group

SERVICE = "Claude Code-credentials"
WHERE = f'the Keychain item "{SERVICE}"'  # how messages name this source
DEFAULT_SECURITY = "/usr/bin/security"
EXIT_NOT_FOUND = 44  # security(1): "The specified item could not be found in the keychain."
_MAX_OUTPUT = 1024 * 1024


@record
class KeychainAnswer:
    """One `security` call: `status` is found, not_found, failed or timeout; `text` only when found."""

    account: str | None
    status: str
    text: str = ""

    def __repr__(self) -> str:
        # `text` is a credentials blob with the token in it.
        return f"KeychainAnswer(account={self.account!r}, status={self.status!r})"


def resolve_security(env: Mapping[str, str]) -> str:
    """`security` from the environment's PATH, else Apple's own path."""
    return shutil.which("security", path=env.get("PATH", "")) or DEFAULT_SECURITY


def user_name(env: Mapping[str, str]) -> str | None:
    for name in ("USER", "LOGNAME"):
        if env.get(name):
            return env[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): ask without an account
        return None


def keychain_blobs(env: Mapping[str, str], *, security: str | None, timeout: float) -> Iterator[str]:
    """Claude Code's Keychain entries as text: first for this user's account, then for any account.

    `timeout` bounds the whole lookup. A call that hangs (a locked Keychain may wait on a prompt) ends
    the lookup: asking again would only hang again. Lazy, so the second call runs only when needed.
    """
    command = security or resolve_security(env)
    user = user_name(env)
    deadline = time.monotonic() + timeout
    for account in ([user] if user else []) + [None]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        answer = ask_keychain(command, account, env=env, timeout=remaining)
        if answer.status == "timeout":
            return
        if answer.status == "found":
            yield answer.text


def ask_keychain(
    command: str, account: str | None, *, env: Mapping[str, str], timeout: float
) -> KeychainAnswer:
    """One `security find-generic-password` call. Nothing secret goes on its command line."""
    args = [command, "find-generic-password", "-s", SERVICE]
    if account:
        args += ["-a", account]
    args.append("-w")
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,  # a prompt must not wait on our terminal
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(env),
            # Its own process group, so a timeout kills whatever it started, too.
            start_new_session=os.name == "posix",
        )
    except (OSError, ValueError):
        return KeychainAnswer(account, "failed")
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        return KeychainAnswer(account, "timeout")
    if process.returncode == EXIT_NOT_FOUND:
        return KeychainAnswer(account, "not_found")
    if process.returncode != 0 or not output.strip() or len(output) > _MAX_OUTPUT:
        return KeychainAnswer(account, "failed")
    return KeychainAnswer(account, "found", _decode(output))


def _decode(output: bytes) -> str:
    text = output.decode("utf-8", errors="replace").strip()
    # `security -w` prints the secret as hex when it is not plain printable text.
    if text and not text.startswith("{") and len(text) % 2 == 0:
        try:
            return bytes.fromhex(text).decode("utf-8").strip()
        except ValueError:
            pass
    return text
