"""Where things live (SPEC §2, §3). Standard library only; every function takes the environment.

The paths are worked out as text with os.path and wrapped in `Path` only on the way out, so that
`claude-tray statusline` (run on every prompt) and the running tray (pathlib and what it pulls in,
urllib.parse, ipaddress, fnmatch, ntpath, cost ~0.8 MB of RSS) can find their files without importing pathlib.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """Claude Code's config dir: `$CLAUDE_CONFIG_DIR`, else `~/.claude`."""
    from pathlib import Path

    return Path(_config_dir_str(env))


def credentials_path(env: Mapping[str, str] | None = None) -> Path:
    from pathlib import Path

    return Path(credentials_path_str(env))


def credentials_path_str(env: Mapping[str, str] | None = None) -> str:
    """`credentials_path` as text, without importing pathlib (`claude-tray status` reads it)."""
    return os.path.join(_config_dir_str(env), ".credentials.json")


def cache_path(env: Mapping[str, str] | None = None) -> Path:
    """The shared cache: `$CLAUDE_TRAY_CACHE`, else `<config dir>/oh-my-claude/.usage_cache`."""
    from pathlib import Path

    return Path(cache_path_str(env))


def cache_path_str(env: Mapping[str, str] | None = None) -> str:
    """`cache_path` as text, without importing pathlib."""
    env = os.environ if env is None else env
    override = env.get("CLAUDE_TRAY_CACHE", "").strip()
    if override:
        return os.path.expanduser(override)
    return os.path.join(_config_dir_str(env), "oh-my-claude", ".usage_cache")


def lock_path_str(cache: str | os.PathLike[str]) -> str:
    """The writers' sidecar lock beside the cache, as text."""
    return os.fspath(cache) + ".lock"


def tray_lock_path_str(cache: str | os.PathLike[str]) -> str:
    """The one-tray-per-cache lock beside the cache (held by a running tray for its whole life)."""
    return os.fspath(cache) + ".tray.store.lock"


def final_name(path: str) -> str:
    """What `Path(path).name` is, without pathlib: the last component, ignoring "." and repeated or trailing
    separators ("~/work/" is "work")."""
    _drive, rest = os.path.splitdrive(path)
    if os.altsep:
        rest = rest.replace(os.altsep, os.sep)
    parts = [part for part in rest.split(os.sep) if part not in ("", ".")]
    return parts[-1] if parts else ""


def _config_dir_str(env: Mapping[str, str] | None) -> str:
    env = os.environ if env is None else env
    configured = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if configured:
        return os.path.expanduser(configured)
    home = env.get("HOME") or env.get("USERPROFILE")
    if not home:
        from pathlib import Path

        try:
            home = str(Path.home())  # from the password database when HOME is unset
        except (RuntimeError, KeyError, OSError):  # a user with no entry there (a container's bare uid)
            from tray.errors import UsageError

            raise UsageError(
                "Your home folder is unknown (HOME is not set and this user has no entry in the password "
                "database): set HOME, or CLAUDE_CONFIG_DIR to Claude Code's folder."
            ) from None
    return os.path.join(home, ".claude")
