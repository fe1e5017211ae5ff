"""A faithful stand-in for oh-my-claude's cache writer and its status line's mtime rule (not its code).

Behaviour as SPEC §3 measured it against ssenart/oh-my-claude @c4b162a (`src/update-usage.sh`, v1.9.2):
- Its status line runs the updater only when the cache file is missing or its modification time is at least
  60 s old (`$(date +%s) - $(stat -c %Y file) >= 60`).
- The updater writes the whole file with `cat > file`: truncate, then write; no lock, no temp file, no rename
  (the inode stays). It keeps only `code` (its token usage, which only it computes), `pro` (from its own fetch
  of the usage endpoint; `null` whenever that fetch fails) and `updated_at` (`date -u +%Y-%m-%dT%H:%M:%SZ`),
  dropping every other key. Percentages are truncated; reset times are the endpoint's text, `""` when null.
- The files it really wrote are in tests/fixtures/peer-samples/omc/; `test_the_stand_in_writes_what_oh_my_claude_
  writes` compares the two.

The clock is injected (simulated days); so is the filesystem's clock: the stand-in stamps the file's mtime with
the simulated time, as `cat >` would stamp it with the real one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

STALE_AFTER_S = 60  # its status line's rule


class OhMyClaude:
    def __init__(self, cache: Path, clock: Callable[[], datetime], fetch: Callable[[], dict | None],
                 *, write_gap: Callable[[], None] | None = None) -> None:
        """`fetch` is its own request to the usage endpoint: the endpoint's JSON, or None when it failed."""
        self.cache = cache
        self.clock = clock
        self.fetch = fetch
        self.write_gap = write_gap  # called between truncate and write (a torn file for whoever reads then)
        self.session_tokens = 8_932_659
        self.updates: list[datetime] = []  # when its updater ran (each one a request of its own)
        self.pro_history: list[dict | None] = []

    # --- its status line -----------------------------------------------------------------------
    def status_line(self) -> str:
        """What its status line does on each prompt: update when the file looks a minute old, then print."""
        if self.due():
            self.update()
        try:
            pro = json.loads(self.cache.read_text()).get("pro") or {}
        except (OSError, ValueError):
            pro = {}
        five, seven = pro.get("five_hour_pct", ""), pro.get("seven_day_pct", "")  # `jq -r '.pro.X // empty'`
        return f"{self.session_tokens / 1e6:.1f}M 5h:{five}% 7d:{seven}%"

    def due(self) -> bool:
        try:
            mtime = self.cache.stat().st_mtime
        except FileNotFoundError:
            return True
        return self.clock().timestamp() - mtime >= STALE_AFTER_S

    # --- its updater ---------------------------------------------------------------------------
    def update(self) -> None:
        now = self.clock()
        self.session_tokens += 41_337  # its `code` segment moves on every update
        body = self.fetch()
        pro = _pro(body)
        self.updates.append(now)
        self.pro_history.append(pro)
        text = json.dumps({"code": {"session_tokens": self.session_tokens}, "pro": pro,
                           "updated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}, indent=2) + "\n"
        self.cache.parent.mkdir(parents=True, exist_ok=True)
        with open(self.cache, "w") as f:  # `cat > file`: O_TRUNC on the same inode
            f.flush()
            if self.write_gap is not None:
                self.write_gap()
            f.write(text)
        stamp = now.timestamp()
        os.utime(self.cache, (stamp, stamp))  # the filesystem's clock is the simulated one


def _pro(body: dict | None) -> dict | None:
    """Its jq program: `pro` from five_hour/seven_day, null when the fetch failed or a window is null."""
    if not isinstance(body, dict):
        return None
    five, seven = body.get("five_hour"), body.get("seven_day")
    if not isinstance(five, dict) or not isinstance(seven, dict):
        return None
    try:
        return {
            "five_hour_pct": int(float(five["utilization"])),
            "five_hour_resets_at": five.get("resets_at") or "",
            "seven_day_pct": int(float(seven["utilization"])),
            "seven_day_resets_at": seven.get("resets_at") or "",
        }
    except (KeyError, TypeError, ValueError):
        return None
