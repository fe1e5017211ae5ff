"""The reliability matrix's knobs: how hard to push (CI or the recorded run) and where figures go.

`HYPOTHESIS_PROFILE=recorded` (what scripts/reliability_run.py sets) runs every fuzz target with 10,000
examples and the contention and soak tests at full size; anything else is the CI size, which keeps this
folder to about two minutes. Tests report what they measured through the `figures` fixture: always as
pytest user properties, and as JSON lines in `$RELIABILITY_FIGURES` when the recorded run asks for them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

RECORDED = os.environ.get("HYPOTHESIS_PROFILE", "") == "recorded"
FUZZ_EXAMPLES = 10_000 if RECORDED else 200

# No deadline: a slow example on a busy CI machine is not a failure of the code under test.
settings.register_profile(
    "ci", max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "recorded", max_examples=FUZZ_EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("recorded" if RECORDED else "ci")

TOKEN = "sk-ant-oat01-RELIABILITYCANARYQ7x9Zp2LmW4vN8bK3dF6hJ0sT5yR1uE-testonly"
# The part of the token that no redaction mask, prefix or log format could produce by accident.
TOKEN_CORE = "RELIABILITYCANARYQ7x9Zp2LmW4vN8bK3dF6hJ0sT5yR1uE"


def canary_credentials(fixtures: Path, name: str = "pro_valid.json", token: str = TOKEN) -> bytes:
    """A credentials fixture with its fake token replaced by the recognisable canary."""
    document = json.loads((fixtures / "credentials" / name).read_text())
    oauth = document.get("claudeAiOauth")
    if isinstance(oauth, dict) and oauth.get("accessToken"):
        oauth["accessToken"] = token
    return json.dumps(document).encode()


@pytest.fixture
def figures(record_property: Callable[[str, Any], None]) -> Callable[..., None]:
    """`figures("fuzz.parse_usage", examples=10000, escaped=0)`: a measured figure for the report."""
    target = os.environ.get("RELIABILITY_FIGURES", "").strip()

    def record(name: str, **values: Any) -> None:
        record_property(name, values)
        if target:
            with open(target, "a", encoding="utf-8") as out:
                out.write(json.dumps({"name": name, **values}, default=str) + "\n")

    return record


@pytest.fixture
def home_factory(tmp_path_factory: pytest.TempPathFactory, fixtures: Path) -> Callable[[], Path]:
    """Fresh temporary HOMEs signed in with the canary token (usable inside hypothesis searches)."""

    def make() -> Path:
        home = tmp_path_factory.mktemp("home")
        (home / ".claude").mkdir()
        target = home / ".claude" / ".credentials.json"
        target.write_bytes(canary_credentials(fixtures))
        target.chmod(0o600)
        return home

    return make


def tray_env(home: Path, url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment a tray process of `home` sees: PATH without `claude`, so the User-Agent is fixed."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    if url:
        env["CLAUDE_TRAY_API_URL"] = url
    env.update(extra)
    return env


def cache_of(home: Path) -> Path:
    return home / ".claude" / "oh-my-claude" / ".usage_cache"


def temp_files(folder: Path) -> list[str]:
    """Our writers' leftovers: `.usage_cache.*.tmp` temp files."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) if folder.is_dir() else []
