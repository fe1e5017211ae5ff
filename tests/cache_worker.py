"""A real process that uses the shared cache, for tests that need several of them at once.

    cache_worker.py update PATH NAME M K   our writer: M locked updates of `tray`, then (after "final") K more
    cache_worker.py rewrite PATH R         oh-my-claude: R whole rewrites with open("w") + write, no lock
    cache_worker.py read PATH DONE STOP    a reader that never locks, until the file STOP exists
    cache_worker.py update-once PATH [T]   one update (lock timeout T s); on CacheError exit 3 with its sentence

The first three roles print "ready" and waits for "go" on stdin, so all start together without sleeps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tray.errors import CacheError
from tray.store.cache import read_cache, update_cache


def wait_for(word: str) -> None:
    print("ready" if word == "go" else f"waiting {word}", flush=True)
    line = sys.stdin.readline().strip()
    if line != word:
        raise SystemExit(f"expected {word!r} on stdin, got {line!r}")


def mark(path: Path, name: str, count: int, final: bool) -> None:
    def mutate(current: dict[str, Any]) -> dict[str, object]:
        section = current.get("tray") if isinstance(current.get("tray"), dict) else {}
        workers = section.get("contention") if isinstance(section.get("contention"), dict) else {}
        workers[name] = {"count": count, "final": final}
        section["contention"] = workers
        return {"tray": section}

    update_cache(path, mutate, lock_timeout=30)


def update(path: Path, name: str, m: int, k: int) -> None:
    wait_for("go")
    for i in range(1, m + 1):
        mark(path, name, i, False)
    wait_for("final")
    for i in range(m + 1, m + k + 1):
        mark(path, name, i, i == m + k)


def rewrite(path: Path, rounds: int) -> None:
    """oh-my-claude's way: its own content, `tray` dropped, truncate-then-write in two pieces."""
    wait_for("go")
    for i in range(rounds):
        content = {
            "code": {"session_tokens": i},
            "pro": {"five_hour_pct": i % 100, "five_hour_resets_at": "", "seven_day_pct": 21,
                    "seven_day_resets_at": ""},
            "updated_at": "2025-12-28T09:36:41Z",
        }
        text = json.dumps(content, indent=2)
        half = len(text) // 2
        with open(path, "w") as f:
            f.write(text[:half])
            f.flush()  # the half-written moment other readers can see
            f.write(text[half:])


def read(path: Path, done: Path, stop: Path) -> None:
    """Read without locking; count what a reader sees before and after the rewriter finished."""
    wait_for("go")
    stats = {"reads": 0, "empty_before": 0, "empty_after": 0, "unparsable_raw_after": 0, "reads_after": 0}
    while True:
        after = done.exists()  # checked before the read: this read cannot overlap the rewriter
        if after and stop.exists() and stats["reads_after"] > 0:
            break
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raw = b""
        content = read_cache(path)
        stats["reads"] += 1
        if after:
            stats["reads_after"] += 1
            stats["empty_after"] += content == {}
            try:
                if not isinstance(json.loads(raw), dict):
                    stats["unparsable_raw_after"] += 1
            except ValueError:
                stats["unparsable_raw_after"] += 1
        else:
            stats["empty_before"] += content == {}
    print(json.dumps(stats), flush=True)


def update_once(path: Path, lock_timeout: float) -> int:
    try:
        update_cache(path, lambda current: {"tray": {"written_by": "update-once"}}, lock_timeout=lock_timeout)
    except CacheError as e:
        print(str(e), file=sys.stderr)
        return 3
    return 0


def main(argv: list[str]) -> int:
    role, path = argv[0], Path(argv[1])
    if role == "update":
        update(path, argv[2], int(argv[3]), int(argv[4]))
    elif role == "rewrite":
        rewrite(path, int(argv[2]))
    elif role == "read":
        read(path, Path(argv[2]), Path(argv[3]))
    elif role == "update-once":
        return update_once(path, float(argv[2]) if len(argv) > 2 else 5.0)
    else:
        raise SystemExit(f"unknown role {role!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
