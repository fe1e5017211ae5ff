"""Real processes on one cache file: our locked writers, oh-my-claude's unlocked rewriter, readers (SPEC §3).

Start and phase changes are barriers over stdin pipes ("go", "final") and files (for the readers), so the
test never sleeps and never asserts on timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tray.store.cache import read_cache, update_cache

WORKER = Path(__file__).with_name("cache_worker.py")
WRITERS = 4
UPDATES_WITH_REWRITER = 40  # per writer, while oh-my-claude rewrites the file
UPDATES_AFTER = 15  # per writer, after oh-my-claude stopped: these must all survive
REWRITES = 400
READERS = 2
DEADLINE_S = 60  # a hang fails the test instead of stalling the run; it is not a timing assertion


def start(*args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == "ready", f"{args[0]} worker did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
    return proc


def send(proc: subprocess.Popen[str], word: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(word + "\n")
    proc.stdin.flush()


def finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 0, f"worker failed (exit {proc.returncode}): {err}"
    return out


def test_locked_writers_an_unlocked_rewriter_and_readers_share_one_file(tmp_path: Path, fixtures: Path) -> None:
    cache = tmp_path / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(mode=0o700)
    cache.write_bytes((fixtures / "cache" / "oh_my_claude.json").read_bytes())
    done, stop = tmp_path / "rewriter-done", tmp_path / "stop"

    readers = [start("read", str(cache), str(done), str(stop)) for _ in range(READERS)]
    writers = [
        start("update", str(cache), f"w{i}", str(UPDATES_WITH_REWRITER), str(UPDATES_AFTER)) for i in range(WRITERS)
    ]
    rewriter = start("rewrite", str(cache), str(REWRITES))
    for proc in (*readers, *writers, rewriter):
        send(proc, "go")

    # Phase 1: everyone at once. Our readers may see oh-my-claude's half-written file as {}, never crash.
    finish(rewriter)
    for proc in writers:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "waiting final"
        read_cache(cache)  # the parent reads too; it must not raise

    # Phase 2: oh-my-claude is gone; every write now is one of ours, atomic, so no reader may see {}.
    done.touch()
    for proc in writers:
        send(proc, "final")
    parent_empty_after = 0
    while any(proc.poll() is None for proc in writers):
        parent_empty_after += read_cache(cache) == {}
    for proc in writers:
        finish(proc)
    stop.touch()
    stats = [json.loads(finish(proc)) for proc in readers]

    for seen in stats:
        assert seen["reads_after"] > 0
        assert seen["empty_after"] == 0, seen
        assert seen["unparsable_raw_after"] == 0, seen
    assert parent_empty_after == 0

    final = json.loads(cache.read_text())
    # oh-my-claude's key survives every one of our writes, with a value it wrote.
    assert final["code"]["session_tokens"] in range(REWRITES)
    workers = final["tray"]["contention"]
    for i in range(WRITERS):
        assert workers[f"w{i}"] == {"count": UPDATES_WITH_REWRITER + UPDATES_AFTER, "final": True}
    assert not list(cache.parent.glob("*.tmp"))
    print("reader stats:", stats)  # shown with -s: how often the rewriter's half-written file was seen


def test_a_writer_that_cannot_get_the_lock_gives_up_with_one_sentence_and_changes_nothing(
    tmp_path: Path,
) -> None:
    from tray.store.lock import FileLock
    from tray.store.paths import lock_path_str

    cache = tmp_path / "oh-my-claude" / ".usage_cache"
    update_cache(cache, lambda current: {"tray": {"by": "first"}})
    before = cache.read_bytes()
    with FileLock(Path(lock_path_str(cache))):
        writer = subprocess.run(
            [sys.executable, str(WORKER), "update-once", str(cache), "0.2"],
            capture_output=True, text=True, timeout=DEADLINE_S,
        )
    assert writer.returncode == 3
    assert "is locked by another process" in writer.stderr
    assert "Traceback" not in writer.stderr and writer.stderr.count("\n") == 1
    assert cache.read_bytes() == before
