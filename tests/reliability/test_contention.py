"""N writer processes × M locked updates, oh-my-claude's unlocked whole-file rewriter and unlocking readers
on one cache file (SPEC §3): corrupt reads, lost `code`, lost updates and temp files left must all be 0.

Reuses tests/cache_worker.py for the writers and the rewriter; the readers here count more.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.reliability.conftest import RECORDED, temp_files
from tests.test_cache_contention import DEADLINE_S, finish, send, start

READER = Path(__file__).with_name("contention_reader.py")
WRITERS, UPDATES, REWRITES, READERS = (8, 250, 5000, 4) if RECORDED else (4, 25, 300, 2)
AFTER = 5  # updates per writer once the rewriter is gone


def start_reader(*args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, str(READER), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_writers_a_whole_file_rewriter_and_readers_lose_and_corrupt_nothing(tmp_path: Path, fixtures: Path,
                                                                             figures) -> None:
    cache = tmp_path / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(mode=0o700)
    cache.write_bytes((fixtures / "cache" / "oh_my_claude.json").read_bytes())
    done, stop = tmp_path / "rewriter-done", tmp_path / "stop"
    readers = [start_reader(str(cache), str(done), str(stop)) for _ in range(READERS)]
    writers = [start("update", str(cache), f"w{i}", str(UPDATES), str(AFTER)) for i in range(WRITERS)]
    rewriter = start("rewrite", str(cache), str(REWRITES))
    for proc in (*readers, *writers, rewriter):
        send(proc, "go")
    finish(rewriter)
    done.touch()
    for proc in writers:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "waiting final"
        send(proc, "final")
    for proc in writers:
        finish(proc)
    stop.touch()
    stats = [json.loads(finish(proc)) for proc in readers]
    for proc in readers:
        assert proc.returncode == 0  # no reader ever raised

    final = json.loads(cache.read_text())
    total = {key: sum(s[key] for s in stats) for key in stats[0]}
    lost_updates = sum(final["tray"]["contention"][f"w{i}"]["count"] != UPDATES + AFTER for i in range(WRITERS))
    assert total["not_a_dict"] == 0 and total["without_code"] == 0 and total["no_data_after_rewriter"] == 0
    assert isinstance(final.get("code"), dict) and lost_updates == 0
    assert temp_files(cache.parent) == []
    figures("contention", writers=WRITERS, updates_per_writer=UPDATES + AFTER, rewrites=REWRITES,
            readers=READERS, deadline_s=DEADLINE_S, lost_updates=lost_updates,
            temp_files_left=len(temp_files(cache.parent)), code_kept=True, **total)
