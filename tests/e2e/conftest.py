"""The `desktop` fixture: one throwaway X desktop with a tray host per test module."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.conftest import require_tool

if sys.platform.startswith("linux"):
    from tests.e2e.desktop import TOOLS, Desktop
else:  # Xvfb and trayer are Linux-only; python-xlib is installed only there
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="module")
def desktop() -> Iterator[Desktop]:
    require_tool(*TOOLS)
    with Desktop() as desk:
        yield desk
