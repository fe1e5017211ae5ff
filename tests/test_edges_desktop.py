"""The desktop edges leave nothing behind (issue 14): "Open claude.ai usage settings" reaps its xdg-open."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tray.desktop.edges import open_url


def defunct_children() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            found.append(int(entry))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xdg-open is the Linux opener")
def test_opening_the_usage_page_leaves_no_defunct_xdg_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = tmp_path / "opened"
    fake = tmp_path / "xdg-open"
    fake.write_text(f"#!/bin/sh\necho \"$1\" > {opened}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")

    assert open_url("https://claude.ai/settings/usage")

    assert opened.read_text().strip() == "https://claude.ai/settings/usage"
    assert defunct_children() == []
