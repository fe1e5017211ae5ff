"""The User-Agent for the usage endpoint: `claude-code/<version>` of the installed Claude Code.

Why it matters: the endpoint throttles other User-Agents into permanent 429s (PEERS.md §1: four projects
fixed their 429s by sending `claude-code/…`). So we send what Claude Code itself would send, and a fixed
recent `claude-code/` version when `claude` is missing, slow or prints something we do not understand.
Standard library only.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Mapping

from tray.sources.subproc import kill_group

FALLBACK_VERSION = "2.1.90"
FALLBACK_USER_AGENT = f"claude-code/{FALLBACK_VERSION}"

# `claude --version` prints e.g. "2.1.90 (Claude Code)"; the first dotted triple is the version.
_VERSION = re.compile(r"(?<![\d.])(\d{1,4}\.\d{1,4}\.\d{1,6})(?![\d.])")
_MAX_OUTPUT = 4096


def claude_code_user_agent(*, env: Mapping[str, str] | None = None, timeout: float = 1.0) -> str:
    """`claude-code/<version>` from `claude --version` found on env's PATH, else FALLBACK_USER_AGENT.

    Never raises and never waits much longer than `timeout` (a hung `claude` and its children are killed).
    The answer is cached per process and PATH: the version only changes when Claude Code updates, and
    spawning Node every minute would cost the battery more than a slightly old version costs us.
    """
    environ = os.environ if env is None else env
    return _user_agent_for_path(environ.get("PATH", os.defpath), float(timeout))


@functools.lru_cache(maxsize=16)
def _user_agent_for_path(path: str, timeout: float) -> str:
    version = _installed_version(path, timeout)
    return f"claude-code/{version}" if version else FALLBACK_USER_AGENT


def parse_claude_version(output: str) -> str | None:
    """The version in `claude --version` output, or None when there is none."""
    match = _VERSION.search(output[:_MAX_OUTPUT])
    return match.group(1) if match else None


def _installed_version(path: str, timeout: float) -> str | None:
    executable = shutil.which("claude", path=path)
    if executable is None:
        return None
    # The child sees the same PATH we searched, so a Node-based `claude` finds its `node` there too.
    child_env = {**os.environ, "PATH": path}
    try:
        process = subprocess.Popen(
            [executable, "--version"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=child_env,
            # Its own process group, so a timeout can kill grandchildren that would hold stdout open.
            start_new_session=os.name == "posix",
        )
    except OSError:
        return None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        return None
    if process.returncode != 0:
        return None
    return parse_claude_version(output[:_MAX_OUTPUT].decode("utf-8", "replace"))


