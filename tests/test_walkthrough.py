"""The README's way in, as a stranger takes it: a fresh clone, `./scripts/run --check`, then a new shell.

The clone's venv is made for real (pip installs from the package index, so the first run takes a minute).
The first run has no GTK headers (a `pkg-config` that finds nothing stands before the real one); installing
the menu packages later is the real `pkg-config` coming back, and the same command must then bring the menu.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tray
from tests.conftest import IN_CI, ROOT, require_tool

pytestmark = pytest.mark.slow


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False, **kwargs)  # type: ignore[call-overload]


def _can_import_gi(python: Path) -> bool:
    return _run([str(python), "-c", "import gi"]).returncode == 0


def test_a_fresh_clone_sets_up_puts_claude_tray_on_path_and_gets_the_menu_once_gtk_is_installed(
        tmp_path: Path) -> None:
    require_tool("git", "pkg-config")
    if _run(["pkg-config", "--exists", "gobject-introspection-1.0", "cairo"]).returncode != 0:
        message = "needs GTK's development files (installed by .ci/run) for the second half"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    clone = tmp_path / "claude-tray"
    cloned = _run(["git", "clone", "--quiet", str(ROOT), str(clone)])
    assert cloned.returncode == 0, cloned.stderr
    home = tmp_path / "home"
    local_bin = home / ".local" / "bin"
    local_bin.mkdir(parents=True)
    no_gtk = tmp_path / "no-gtk"
    no_gtk.mkdir()
    (no_gtk / "pkg-config").write_text("#!/bin/sh\nexit 1\n")
    (no_gtk / "pkg-config").chmod(0o755)
    python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    base_path = f"{local_bin}:{os.path.dirname(python)}:/usr/bin:/bin"
    user = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "VIRTUAL_ENV", "PYTHON"))}
    user.update(HOME=str(home), PATH=f"{no_gtk}:{base_path}", PYTHON=python)

    first = _run([str(clone / "scripts" / "run"), "--check"], env=user, cwd=clone)
    said = first.stdout + first.stderr
    assert first.returncode == 0, said[-3000:]
    assert f"claude-tray {tray.__version__}" in first.stdout
    assert f"claude-tray is on PATH through {local_bin / 'claude-tray'}" in first.stdout
    assert "Deprecat" not in said and "Traceback" not in said  # setuptools' compat-mode warning is gone
    assert not _can_import_gi(clone / ".venv" / "bin" / "python")  # no headers, no PyGObject: no menu yet

    # A new shell: the README's next steps work by name.
    fresh_shell = {**user, "PATH": base_path}
    version = _run(["claude-tray", "--version"], env=fresh_shell, cwd=tmp_path)
    assert version.stdout.strip() == f"claude-tray {tray.__version__}", version.stderr
    doctor = _run(["claude-tray", "doctor"], env={**fresh_shell, "DISPLAY": ":99"}, cwd=tmp_path)  # only looked at
    assert doctor.returncode in (0, 1) and "Traceback" not in doctor.stderr
    assert "sudo apt-get install" in doctor.stdout and "./scripts/run" in doctor.stdout  # the no-menu fix

    # The menu packages installed afterwards; the same command again brings the menu.
    second = _run([str(clone / "scripts" / "run"), "--check"], env=fresh_shell, cwd=clone)
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]
    assert _can_import_gi(clone / ".venv" / "bin" / "python")
