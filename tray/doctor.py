"""`claude-tray doctor`: the reference document's Troubleshooting section as checks, each with its fix."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from datetime import datetime

from tray.base.timefmt import to_local
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
    out.write(f"\n{summary(checks)}\n")
    failed = sum(1 for c in checks if c.mark == BAD)
    return int(ExitCode.FAILURE if failed else ExitCode.OK)


def summary(checks: list[Check]) -> str:
    """`7 of 10 checks passed, 2 warnings, 1 failed.`: a warning is not a pass."""
    passed = sum(1 for c in checks if c.mark == OK)
    warned = sum(1 for c in checks if c.mark == WARN)
    failed = sum(1 for c in checks if c.mark == BAD)
    parts = [f"{passed} of {len(checks)} checks passed"]
    if warned:
        parts.append(f"{warned} warning{'s' if warned != 1 else ''}")
    if failed:
        parts.append(f"{failed} failed")
    return ", ".join(parts) + "."


def collect_checks(env: Mapping[str, str], *, now: datetime) -> list[Check]:
    return [
        *_credential_checks(env, now),
        *_cache_checks(env, now),
        *_endpoint_checks(env),
        _display_check(env),
        *_host_checks(env),
        _autostart_check(env),
        *_leftover_checks(env),
        *share_checks(env, now=now),
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
        when = to_local(creds.expires_at).strftime("%Y-%m-%d %H:%M") if creds.expires_at else "unknown"
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
        when = to_local(state.last_error.at).strftime("%Y-%m-%d %H:%M")
        status = f" (HTTP {state.last_error.status})" if state.last_error.status else ""
        checks.append(Check(WARN, f"Last error {when}{status}: {state.last_error.message}",
                            "`claude-tray refresh --debug` shows the full exchange."))
    elif state.has_data:
        checks.append(Check(OK, "No error recorded"))
    return checks


def _endpoint_checks(env: Mapping[str, str]) -> list[Check]:
    if not env.get("CLAUDE_TRAY_API_URL"):
        return []
    from tray.base.redact import redact
    from tray.sources.endpoint import api_url, check_url

    try:
        url = api_url(env)
        # The host the connection goes to, as the HTTP library reads the URL (the check refuses any other).
        where = check_url(url).where
        return [Check(OK, f"CLAUDE_TRAY_API_URL accepted: the token goes to {where} ({redact(url)})")]
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


def share_checks(env: Mapping[str, str], *, now: datetime) -> list[Check]:
    """Sharing with other machines (SPEC §10): the folder there and writable, each machine's snapshot with its
    age, clocks that disagree, files ignored and why."""
    from datetime import timedelta

    from tray.base.timefmt import format_age, format_span
    from tray.share import link
    from tray.share.folder import OWN, SERVER_WAIT_MAX, snapshot_folder
    from tray.store import cache
    from tray.store.paths import cache_path_str

    share = link.share_of(env, cache.read_state(cache_path_str(env)))
    if share is None:
        return [Check(OK, "Sharing with other machines: off",
                      "To share one account's readings between machines: `claude-tray config set share_dir "
                      "FOLDER` with a folder a sync engine keeps the same everywhere (README: Several machines).")]
    if not os.path.isdir(share.folder):
        return [Check(BAD, f"Share folder {share.folder} is missing",
                      "Mount it or set up the sync engine that keeps it (Syncthing, Nextcloud, sshfs…), or "
                      "`claude-tray config set share_dir off`.")]
    checks: list[Check] = []
    folder = snapshot_folder(share.folder)
    probe = os.path.join(folder, f".doctor-{share.host}-{os.getpid()}.probe")
    try:
        os.makedirs(folder, 0o700, exist_ok=True)
        with open(probe, "w", encoding="utf-8") as f:
            f.write("probe\n")
        skew = os.stat(probe).st_mtime - now.timestamp()
        os.unlink(probe)
    except OSError as e:
        return [Check(BAD, f"Share folder {share.folder} is not writable ({e.strerror or e})",
                      f"Fix its permissions: this machine writes {folder}/{share.host}.json there.")]
    where = " (from CLAUDE_TRAY_SHARE_DIR, over the setting)" if env.get("CLAUDE_TRAY_SHARE_DIR", "").strip() else ""
    checks.append(Check(OK, f"Share folder {share.folder}{where} is present and writable (this machine: {share.host})"))
    if abs(skew) > 60:
        way = "ahead of" if skew > 0 else "behind"
        checks.append(Check(WARN, f"The share's file times run {format_span(timedelta(seconds=abs(skew)))} {way} "
                                  "this machine's clock", "Keep clocks in time on this machine and the file "
                                  "server (`timedatectl set-ntp true`)."))
    if share.account is None:
        checks.append(Check(WARN, "This machine's account is unknown: it takes no reading from the share",
                            "Run `claude` once and sign in: Claude Code keeps the account in ~/.claude.json."))
    found = link.scan(share, now)
    others = 0
    for seen in found.seen:
        snap = seen.snapshot
        if snap is None or (seen.ignored and seen.ignored != OWN):
            continue
        others += seen.ignored != OWN
        who = f"{snap.host} (this machine)" if seen.ignored == OWN else snap.host
        reading = (f", its reading from {snap.source or 'an unknown source'} {format_age(snap.fetched_at, now)}"
                   if snap.fetched_at is not None else ", no reading")
        wait = ""
        if snap.server_until is not None and now < snap.server_until < now + SERVER_WAIT_MAX:
            wait = f", server wait until {snap.server_until.astimezone():%H:%M}"
        checks.append(Check(OK, f"{who}: snapshot written {format_age(snap.written_at, now)}{reading}{wait}"))
        ahead = (snap.written_at - now).total_seconds()
        if ahead > 60:
            checks.append(Check(WARN, f"{snap.host}'s clock is {format_span(timedelta(seconds=ahead))} ahead of "
                                      "this machine's", "Keep both clocks in time (`timedatectl set-ntp true` on "
                                      "Linux); a reading from more than 5 minutes ahead is ignored."))
        if seen.modified_at is not None:
            drift = (seen.modified_at - snap.written_at).total_seconds()
            if abs(drift) > 120:
                checks.append(Check(WARN, f"{snap.host}'s snapshot file time and its own clock differ by "
                                          f"{format_span(timedelta(seconds=abs(drift)))}",
                                    f"The clock of {snap.host} or of the file server is off; keep both in time."))
    for seen in found.ignored:
        fix = {"a sync conflict copy (safe to delete)": f"Delete it: rm '{os.path.join(folder, seen.name)}'",
               "another account's": "That machine is signed in to another Claude account: give it its own share_dir."
               }.get(seen.ignored, "It is read again at every tick; `claude-tray doctor` on that machine says more.")
        checks.append(Check(WARN, f"Ignored in the share: {seen.name}: {seen.ignored}", fix))
    if others == 0:
        checks.append(Check(WARN, "No other machine's snapshot in the share yet",
                            "Set share_dir on the other machines too (README: Several machines)."))
    return checks
