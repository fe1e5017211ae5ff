"""Where things live (SPEC §2, §3). Standard library only; every function takes the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """Claude Code's config dir: `$CLAUDE_CONFIG_DIR`, else `~/.claude`."""
    env = os.environ if env is None else env
    configured = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    home = env.get("HOME") or env.get("USERPROFILE")
    return (Path(home) if home else Path.home()) / ".claude"


def credentials_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / ".credentials.json"


def cache_path(env: Mapping[str, str] | None = None) -> Path:
    """The shared cache: `$CLAUDE_TRAY_CACHE`, else `<config dir>/oh-my-claude/.usage_cache`."""
    env = os.environ if env is None else env
    override = env.get("CLAUDE_TRAY_CACHE", "").strip()
    if override:
        return Path(override).expanduser()
    return config_dir(env) / "oh-my-claude" / ".usage_cache"


def lock_path(cache: Path) -> Path:
    return cache.with_name(cache.name + ".lock")
