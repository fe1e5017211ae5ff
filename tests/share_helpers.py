"""Machines of one account for the sharing tests (SPEC §10): each its own HOME, cache and host name."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import FIXTURES, install_credentials

ACCOUNT = "4f1c2b9e-8a7d-4e21-9c3b-0d5e6f7a8b9c"
OTHER_ACCOUNT = "0a9b8c7d-6e5f-4a3b-2c1d-e0f9a8b7c6d5"
EMAIL = "someone@example.com"


class Machine:
    """One machine: a HOME with Claude Code's credentials and `.claude.json`, and the tray's environment."""

    def __init__(self, root: Path, host: str, share: Path | None, *, url: str | None = None,
                 account: str | None = ACCOUNT) -> None:
        self.host = host
        self.home = root / host
        (self.home / ".claude").mkdir(parents=True, exist_ok=True)
        install_credentials(self.home, FIXTURES / "credentials" / "pro_valid.json")
        if account is not None:
            claude_json = {"numStartups": 12, "oauthAccount": {"accountUuid": account, "emailAddress": EMAIL,
                                                               "organizationUuid": "org-1"},
                           "projects": {str(self.home / "work"): {"allowedTools": []}}}
            (self.home / ".claude.json").write_text(json.dumps(claude_json))
        self.env = {"HOME": str(self.home), "PATH": "/usr/bin:/bin", "CLAUDE_TRAY_HOST": host}
        if share is not None:
            self.env["CLAUDE_TRAY_SHARE_DIR"] = str(share)
        if url is not None:
            self.env["CLAUDE_TRAY_API_URL"] = url

    @property
    def cache_file(self) -> Path:
        return self.home / ".claude" / "oh-my-claude" / ".usage_cache"

    def cache(self) -> dict:
        return json.loads(self.cache_file.read_text())

    def cli_env(self) -> dict[str, str]:
        """The environment for `python -m tray` in a subprocess of this machine."""
        env = dict(self.env)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[1]),
                                                        os.environ.get("PYTHONPATH", "")) if p)
        return env


def usage_body(five: float, seven: float = 21.0, *, resets: str = "2100-01-01T14:00:00+00:00") -> dict:
    return {
        "five_hour": {"utilization": five, "resets_at": resets},
        "seven_day": {"utilization": seven, "resets_at": "2100-01-05T09:00:00+00:00"},
        "seven_day_opus": {"utilization": 3.0, "resets_at": "2100-01-05T09:00:00+00:00"},
        "extra_usage": None,
    }


def statusline_input(five: float, seven: float = 41.0) -> str:
    return json.dumps({"session_id": "s-1", "rate_limits": {
        "five_hour": {"used_percentage": five, "resets_at": 4102444800},
        "seven_day": {"used_percentage": seven, "resets_at": 4102617600}}})
