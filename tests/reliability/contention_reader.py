"""A reader process for the contention test: reads the cache without locking until STOP exists.

    contention_reader.py PATH DONE STOP

Prints "ready", waits for "go" on stdin, then counts what `read_cache` gave: every read, reads of no
data (oh-my-claude's half-written file reads so, by design), reads with a broken `code` key, and reads of
no data after the whole-file rewriter finished (DONE exists), when only our atomic writers remain.
A read that raised would end the process with a traceback: the parent checks the exit status.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tray.store.cache import read_cache


def main(path: Path, done: Path, stop: Path) -> None:
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected go")
    stats = {"reads": 0, "no_data": 0, "without_code": 0, "not_a_dict": 0, "no_data_after_rewriter": 0}
    while True:
        after = done.exists()
        if after and stop.exists():
            break
        content = read_cache(path)
        stats["reads"] += 1
        if not isinstance(content, dict):
            stats["not_a_dict"] += 1
        elif not content:
            stats["no_data"] += 1
            stats["no_data_after_rewriter"] += after
        elif not isinstance(content.get("code"), dict):
            stats["without_code"] += 1
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
