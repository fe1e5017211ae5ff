"""Shared test fixtures: tests/fixtures, a temporary HOME, and tool requirements."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"  # copies of the contract's fixtures: a clone tests itself
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_tool(*names: str) -> None:
    """A missing system tool fails the test in CI and skips it, with the reason, on a laptop."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        message = f"needs {', '.join(missing)} (installed by .ci/run)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def fixtures() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"fixtures not found at {FIXTURES}")
    return FIXTURES


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary HOME with an empty ~/.claude; Claude/tray variables from the real environment removed."""
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    for name in ("CLAUDE_CONFIG_DIR", "CLAUDE_TRAY_CACHE", "CLAUDE_TRAY_API_URL", "CLAUDE_TRAY_INTERVAL",
                 "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


def install_credentials(home: Path, fixture: Path) -> Path:
    """Copy a credentials fixture into `home/.claude/.credentials.json` with Claude Code's 0600 mode."""
    target = home / ".claude" / ".credentials.json"
    target.write_bytes(fixture.read_bytes())
    target.chmod(0o600)
    return target
