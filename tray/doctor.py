"""`claude-tray doctor`: the reference document's Troubleshooting section as checks, each with its fix."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from datetime import datetime

from tray.base.values import record
from tray.errors import CredentialsError, ExitCode, TrayError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

OK, BAD, WARN = "✓", "✗", "!"


@record
class Check:
    mark: str
    title: str
    fix: str = ""


def run_doctor(env: Mapping[str, str], out: IO[str], *, now: datetime) -> int:
    checks = collect_checks(env, now=now)
    for check in checks:
        out.write(f"{check.mark} {check.title}\n")
        if check.fix:
            out.write(f"    → {check.fix}\n")
    failed = sum(1 for c in checks if c.mark == BAD)
    out.write(f"\n{len(checks) - failed} of {len(checks)} checks passed.\n")
    return int(ExitCode.FAILURE if failed else ExitCode.OK)


def collect_checks(env: Mapping[str, str], *, now: datetime) -> list[Check]:
    return [
        *_credential_checks(env, now),
        *_cache_checks(env, now),
        *_endpoint_checks(env),
        _display_check(env),
        *_host_checks(env),
        _autostart_check(env),
        *_leftover_checks(env),
        settings_check(env),
    ]


def settings_check(env: Mapping[str, str]) -> Check:
    """The settings in force (SPEC §9), as `claude-tray config list` has them; changed ones marked."""
    from tray.store import cache
    from tray.store.paths import cache_path_str
    from tray.store.settings import settings_of

    settings = settings_of(cache.read_state(cache_path_str(env)))
    shown = ", ".join(f"{key} {value}" + ("" if settings.is_default(key) else " (set)")
                      for key, value in settings.items())
    fixed = env.get("CLAUDE_TRAY_INTERVAL", "").strip()
    note = f"; CLAUDE_TRAY_INTERVAL={fixed} wins over the interval setting" if fixed else ""
    return Check(OK, f"Settings in force: {shown}{note}")


def _credential_checks(env: Mapping[str, str], now: datetime) -> list[Check]:
    from tray.sources.credentials import check_usable, credentials_mode_warning, read_credentials
    from tray.store.paths import credentials_path

    path = credentials_path(env)
    checks = []
    if path.exists():
        checks.append(Check(OK, f"Credentials file exists: {path}"))
    else:
        checks.append(Check(BAD if _not_macos() else WARN, f"No credentials file at {path}",
                            "Sign in with Claude Code: run `claude` and log in (on macOS the Keychain is used)."))
    try:
        creds = read_credentials(env)
    except CredentialsError as problem:
        checks.append(Check(BAD, f"OAuth data: {problem}", "Run `claude` and sign in with your Claude account."))
        return checks
    checks.append(Check(OK, f"OAuth data present (from {creds.source})"))
    try:
        check_usable(creds, now)
        when = creds.expires_at.astimezone().strftime("%Y-%m-%d %H:%M") if creds.expires_at else "unknown"
        checks.append(Check(OK, f"Token valid, expires {when}"))
    except CredentialsError as problem:
        checks.append(Check(BAD, str(problem), "Run `claude` once: Claude Code refreshes its own token."))
    plan = creds.subscription_type or "unknown"
    if plan in ("pro", "max", "team", "enterprise"):
        checks.append(Check(OK, f"Plan: {plan.capitalize()}"))
    else:
        checks.append(Check(WARN, f"Plan: {plan}", "Usage limits exist only for Pro, Max, Team and Enterprise plans."))
    warning = credentials_mode_warning(path) if path.exists() else None
    if warning:
        checks.append(Check(WARN, warning, f"chmod 600 {path}"))
    elif path.exists():
        checks.append(Check(OK, "Credentials file is private to you (mode 0600)"))
    return checks


def _cache_checks(env: Mapping[str, str], now: datetime) -> list[Check]:
    from tray.store import cache
    from tray.store.paths import cache_path

    path = cache_path(env)
    checks = []
    folder = path.parent
    from tray.base.ownfile import UnsafeFile, folder_problem, read_own

    if os.path.lexists(path):
        try:
            # Bounded, never through a link, never blocking on a FIFO (SPEC §8); what a write would refuse.
            json.loads(read_own(path, cache.MAX_CACHE_BYTES + 1).decode("utf-8") or "null")
            checks.append(Check(OK, f"Cache readable: {path}"))
        except UnsafeFile as unsafe:
            checks.append(Check(BAD, f"The cache {unsafe}, so the tray neither reads nor writes it",
                                f"Remove it: rm {path}"))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            checks.append(Check(WARN, f"Cache at {path} is not valid JSON", "It is rewritten at the next fetch."))
    else:
        checks.append(Check(OK, f"No cache yet at {path} (written at the first fetch)"))
    existing = folder if folder.exists() else next((p for p in folder.parents if p.exists()), folder)
    shared = folder_problem(str(folder)) if folder.exists() else None
    if shared:
        fix = f"chmod 700 {folder}" if "every user" in shared else "Use a folder of your own"
        checks.append(Check(BAD, f"Cache folder {folder} {shared}: anyone could plant a file there, so the tray "
                                 "does not write to it", f"{fix}, or set CLAUDE_TRAY_CACHE to a private folder."))
    elif os.access(existing, os.W_OK):
        checks.append(Check(OK, "Cache folder is writable"))
    else:
        fix = "Fix its permissions, or set CLAUDE_TRAY_CACHE."
        checks.append(Check(BAD, f"Cache folder {existing} is not writable", fix))
    if path.is_file() and not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        checks.append(Check(WARN, "Cache file is readable by others", f"chmod 600 {path}"))
    state = cache.read_state(path)
    if state.last_error is not None:
        when = state.last_error.at.astimezone().strftime("%Y-%m-%d %H:%M")
        status = f" (HTTP {state.last_error.status})" if state.last_error.status else ""
        checks.append(Check(WARN, f"Last error {when}{status}: {state.last_error.message}",
                            "`claude-tray refresh --debug` shows the full exchange."))
    elif state.has_data:
        checks.append(Check(OK, "No error recorded"))
    return checks


def _endpoint_checks(env: Mapping[str, str]) -> list[Check]:
    if not env.get("CLAUDE_TRAY_API_URL"):
        return []
    from tray.sources.endpoint import api_url

    try:
        return [Check(OK, f"CLAUDE_TRAY_API_URL accepted: {api_url(env)}")]
    except TrayError as problem:
        fix = "Unset CLAUDE_TRAY_API_URL or point it at https:// or a loopback http:// URL."
        return [Check(BAD, str(problem), fix)]


def _display_check(env: Mapping[str, str]) -> Check:
    from tray.desktop.backend import detect_backend

    info = detect_backend(env)
    if info.display:
        return Check(WARN, info.display)
    menu = "with a menu" if info.has_menu else "without a menu"
    return Check(OK if info.advice is None else WARN, f"Tray backend: {info.name} ({menu})", info.advice or "")


def _host_checks(env: Mapping[str, str]) -> list[Check]:
    """A tray host to show the icon in (SPEC §5): a StatusNotifierWatcher on the bus or an XEmbed tray."""
    import sys

    if not sys.platform.startswith("linux") or not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return []
    from tray.desktop.backend import detect_backend
    from tray.desktop.hosts import check_host

    found = check_host(env, detect_backend(env).name)
    return [Check(OK if found.present else BAD, found.title, found.fix)]


def _autostart_check(env: Mapping[str, str]) -> Check:
    try:
        from tray.desktop.autostart import backend_for

        status = backend_for(env).status()
    except (TrayError, OSError, ImportError) as problem:
        return Check(WARN, f"Launch at login: unknown ({problem})")
    return Check(OK, status.detail)


_DOTENV_BYTES = 64 * 1024


def _leftover_checks(env: Mapping[str, str]) -> list[Check]:
    from tray.base.ownfile import read_own
    from tray.store.paths import config_dir

    dotenv = config_dir(env) / ".env"
    try:
        # Its first 64 KiB, not the whole file (a 1 GiB one must not cost 1 GiB), never from a FIFO.
        text = read_own(dotenv, _DOTENV_BYTES).decode("utf-8", "replace")
    except OSError:
        return []
    if "session" in text.lower():
        return [Check(WARN, f"{dotenv} holds a session key from the old cookie method; it is unused now",
                      f"It is safe to delete: rm {dotenv}")]
    return []


def _not_macos() -> bool:
    import sys

    return sys.platform != "darwin"
