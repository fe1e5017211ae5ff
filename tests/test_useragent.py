"""The User-Agent comes from a real `claude --version` run: stand-in executables on a temporary PATH."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tray.sources.useragent import FALLBACK_USER_AGENT, claude_code_user_agent, parse_claude_version

pytestmark = pytest.mark.skipif(os.name != "posix", reason="stand-in `claude` scripts are POSIX shell")


def stand_in_claude(folder: Path, script: str) -> dict[str, str]:
    """Write an executable `claude` shell script into `folder`; return an env whose PATH is only it."""
    folder.mkdir(parents=True, exist_ok=True)
    claude = folder / "claude"
    claude.write_text("#!/bin/sh\n" + script + "\n")
    claude.chmod(0o755)
    # /bin stays reachable for `sleep`, but a real `claude` there is shadowed by ours (first on PATH).
    return {"PATH": f"{folder}{os.pathsep}/bin{os.pathsep}/usr/bin"}


def test_installed_claude_version_becomes_the_user_agent(tmp_path: Path) -> None:
    env = stand_in_claude(tmp_path / "bin", 'echo "2.1.97 (Claude Code)"')
    assert claude_code_user_agent(env=env) == "claude-code/2.1.97"


def test_a_hanging_claude_is_killed_and_the_fallback_is_used(tmp_path: Path) -> None:
    # `sleep` runs as a grandchild holding stdout open: only killing the whole group lets us return.
    env = stand_in_claude(tmp_path / "bin", "sleep 600\necho 9.9.9")
    assert claude_code_user_agent(env=env, timeout=0.2) == FALLBACK_USER_AGENT


def test_missing_claude_uses_the_fallback(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert claude_code_user_agent(env={"PATH": str(empty)}) == FALLBACK_USER_AGENT


def test_garbage_output_uses_the_fallback(tmp_path: Path) -> None:
    env = stand_in_claude(tmp_path / "bin", "echo 'command not found: node'; echo 'v2 beta' >&2")
    assert claude_code_user_agent(env=env) == FALLBACK_USER_AGENT


def test_a_failing_claude_uses_the_fallback_even_if_it_prints_a_version(tmp_path: Path) -> None:
    env = stand_in_claude(tmp_path / "bin", "echo '2.1.97 (Claude Code)'; exit 1")
    assert claude_code_user_agent(env=env) == FALLBACK_USER_AGENT


def test_a_non_executable_claude_file_uses_the_fallback(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "claude").write_text("2.1.97\n")
    assert claude_code_user_agent(env={"PATH": str(folder)}) == FALLBACK_USER_AGENT


def test_the_answer_is_cached_so_claude_runs_once_per_process(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    env = stand_in_claude(tmp_path / "bin", f"echo run >> '{runs}'\necho '2.1.98 (Claude Code)'")
    first = claude_code_user_agent(env=env)
    second = claude_code_user_agent(env=env)
    assert first == second == "claude-code/2.1.98"
    assert runs.read_text().count("run") == 1


def test_without_env_the_process_path_is_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = stand_in_claude(tmp_path / "bin", 'echo "2.2.0 (Claude Code)"')
    monkeypatch.setenv("PATH", env["PATH"])
    assert claude_code_user_agent() == "claude-code/2.2.0"


def test_fallback_is_a_claude_code_user_agent() -> None:
    # Any other shape is throttled into permanent 429s.
    assert FALLBACK_USER_AGENT.startswith("claude-code/")
    assert parse_claude_version(FALLBACK_USER_AGENT) is not None


@pytest.mark.parametrize(
    ("output", "version"),
    [
        ("2.1.90 (Claude Code)\n", "2.1.90"),
        ("claude 1.0.128\n", "1.0.128"),
        ("10.20.3", "10.20.3"),
        ("", None),
        ("Claude Code\n", None),
        ("1.2.3.4.5 weird", None),
        ("node: v18\n", None),
    ],
)
def test_version_is_read_from_claude_version_output(output: str, version: str | None) -> None:
    assert parse_claude_version(output) == version

