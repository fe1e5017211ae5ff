"""The shared cache file: oh-my-claude's format kept, anything odd read as "no data", failed writes
harmless (SPEC §3). Real files in temporary folders."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, require_tool
from tray.base.values import replace
from tray.errors import CacheError
from tray.model.state import CachedState
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow
from tray.store import cache as cache_module
from tray.store.cache import read_cache, read_state, update_cache, update_state
from tray.store.paths import cache_path, lock_path_str

T = datetime(2025, 12, 28, 9, 40, 12, 345678, tzinfo=timezone.utc)
WORKER = Path(__file__).with_name("cache_worker.py")
CACHE_FIXTURES = sorted(p.name for p in (FIXTURES / "cache").iterdir() if p.is_file())


def reading(five: float = 47.9, seven: float = 21.4) -> Usage:
    return Usage(
        five_hour=UsageWindow("five_hour", "5-hour", five, datetime(2025, 12, 28, 13, tzinfo=timezone.utc), FIVE_HOURS),
        seven_day=UsageWindow("seven_day", "7-day", seven, datetime(2026, 1, 1, 9, tzinfo=timezone.utc), SEVEN_DAYS),
    )


def record(state: CachedState, usage: Usage | None = None, at: datetime = T) -> CachedState:
    return replace(state, usage=usage or reading(), fetched_at=at, source="api")


@pytest.fixture
def cache(home: Path) -> Path:
    return cache_path()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("name", CACHE_FIXTURES)
def test_every_cache_sample_reads_safely_and_keeps_its_foreign_keys_through_our_write(
    name: str, cache: Path, fixtures: Path
) -> None:
    cache.parent.mkdir(parents=True)
    original_bytes = (fixtures / "cache" / name).read_bytes()
    cache.write_bytes(original_bytes)
    before = read_cache(cache)
    try:
        parsed = json.loads(original_bytes)
    except ValueError:
        parsed = None
    assert before == (parsed if isinstance(parsed, dict) else {})

    update_state(cache, record, now=T)

    after = json.loads(cache.read_text())
    for key, value in before.items():
        if key not in ("tray", "pro", "updated_at"):
            assert after[key] == value  # `code`, and anything else that is not ours, exactly as it was
    # oh-my-claude's `pro` shape: integers truncated (47.9 -> 47), ISO reset times, second-precision stamp.
    assert after["pro"] == {
        "five_hour_pct": 47,
        "five_hour_resets_at": "2025-12-28T13:00:00+00:00",
        "seven_day_pct": 21,
        "seven_day_resets_at": "2026-01-01T09:00:00+00:00",
    }
    assert after["updated_at"] == "2025-12-28T09:40:12Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", after["updated_at"])
    assert read_state(cache).usage == reading()


def test_oh_my_claude_cache_reads_as_its_pro_figures(cache: Path, fixtures: Path) -> None:
    cache.parent.mkdir(parents=True)
    shutil.copy(fixtures / "cache" / "oh_my_claude.json", cache)
    state = read_state(cache)
    assert state.usage is not None and state.usage.five_hour is not None and state.usage.seven_day is not None
    assert (state.usage.five_hour.utilization, state.usage.seven_day.utilization) == (47, 21)
    assert state.source == "oh-my-claude"
    assert state.fetched_at == datetime(2025, 12, 28, 9, 36, 41, tzinfo=timezone.utc)


def test_oh_my_claude_failed_fetch_reads_as_no_data(cache: Path, fixtures: Path) -> None:
    cache.parent.mkdir(parents=True)
    shutil.copy(fixtures / "cache" / "oh_my_claude_failed.json", cache)
    assert not read_state(cache).has_data


def half_of_the_oh_my_claude_sample() -> bytes:
    data = (FIXTURES / "cache" / "oh_my_claude.json").read_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"  \n",
        half_of_the_oh_my_claude_sample(),
        b"not json at all",
        b'[{"pro": {"five_hour_pct": 47}}]',
        b"null",
        b'"a string"',
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
    ],
    ids=["empty", "blank", "truncated", "not-json", "json-list", "null", "string", "binary", "deep-nesting"],
)
def test_a_broken_or_foreign_cache_reads_as_no_data(cache: Path, content: bytes) -> None:
    cache.parent.mkdir(parents=True)
    cache.write_bytes(content)
    assert read_cache(cache) == {}
    assert not read_state(cache).has_data


def test_a_missing_cache_or_a_folder_in_its_place_reads_as_no_data(cache: Path) -> None:
    assert read_cache(cache) == {}
    cache.mkdir(parents=True)
    assert read_cache(cache) == {}
    assert not read_state(cache).has_data


def test_jq_still_reads_pro_after_our_write(cache: Path, fixtures: Path) -> None:
    require_tool("jq")
    cache.parent.mkdir(parents=True)
    shutil.copy(fixtures / "cache" / "oh_my_claude.json", cache)
    update_state(cache, record, now=T)
    out = subprocess.run(["jq", "-c", ".pro", str(cache)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["five_hour_pct"] == 47
    code = subprocess.run(["jq", "-c", ".code", str(cache)], capture_output=True, text=True, check=True).stdout
    assert json.loads(code) == {"session_tokens": 8932659}


def test_a_new_cache_folder_is_0700_and_the_file_and_lock_are_0600(cache: Path) -> None:
    update_state(cache, record, now=T)
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(lock_path_str(cache)).stat().st_mode) == 0o600


def test_a_cache_oh_my_claude_left_world_readable_becomes_0600_and_its_folder_is_left_alone(
    cache: Path, fixtures: Path
) -> None:
    cache.parent.mkdir(parents=True)
    cache.parent.chmod(0o755)  # someone else's folder: not ours to change
    shutil.copy(fixtures / "cache" / "oh_my_claude.json", cache)
    cache.chmod(0o644)
    update_state(cache, record, now=T)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o755


def test_oh_my_claude_rewriting_the_file_without_tray_is_harmless(cache: Path, fixtures: Path) -> None:
    update_state(cache, record, now=T)
    assert read_state(cache).source == "api"
    # oh-my-claude's status line rewrites the whole file later, knowing nothing of `tray`.
    later = json.loads((fixtures / "cache" / "oh_my_claude.json").read_text())
    later["pro"]["five_hour_pct"] = 52
    later["updated_at"] = "2025-12-28T09:50:00Z"
    with open(cache, "w") as f:
        json.dump(later, f)
    state = read_state(cache)
    assert state.usage is not None and state.usage.five_hour is not None
    assert state.usage.five_hour.utilization == 52
    assert state.source == "oh-my-claude"
    # Our next write brings `tray` back and keeps what oh-my-claude wrote under `code`.
    update_state(cache, lambda s: record(s, reading(53.2), T + timedelta(minutes=11)), now=T)
    after = json.loads(cache.read_text())
    assert after["code"] == {"session_tokens": 8932659}
    assert after["pro"]["five_hour_pct"] == 53
    assert "tray" in after


def test_a_writer_may_not_set_keys_that_belong_to_someone_else(cache: Path, fixtures: Path) -> None:
    cache.parent.mkdir(parents=True)
    shutil.copy(fixtures / "cache" / "oh_my_claude.json", cache)
    before = cache.read_bytes()
    with pytest.raises(ValueError, match="code"):
        update_cache(cache, lambda current: {"code": {}, "tray": {}})
    assert cache.read_bytes() == before


def test_update_state_returns_what_a_reader_now_sees(cache: Path) -> None:
    saved = update_state(cache, record, now=T)
    assert saved == read_state(cache)
    assert saved.usage == reading()


def test_a_symlinked_cache_is_refused_in_one_sentence_and_its_target_is_untouched(cache: Path, tmp_path: Path) -> None:
    # SPEC §8: never through a link (a planted one would make us overwrite any file of the user's).
    real = tmp_path / "dotfiles" / "usage_cache"
    real.parent.mkdir()
    real.write_text('{"code": {"x": 1}}')
    cache.parent.mkdir(parents=True)
    cache.symlink_to(real)
    with pytest.raises(CacheError, match="symbolic link") as refused:
        update_state(cache, record, now=T)
    assert "\n" not in str(refused.value) and f"rm {cache}" in str(refused.value)
    assert cache.is_symlink()
    assert real.read_text() == '{"code": {"x": 1}}'


def existing_cache(cache: Path, fixtures: Path) -> bytes:
    cache.parent.mkdir(parents=True)
    shutil.copy(fixtures / "cache" / "oh_my_claude.json", cache)
    return cache.read_bytes()


def test_a_read_only_cache_folder_fails_in_one_sentence_and_keeps_the_old_file(
    cache: Path, fixtures: Path
) -> None:
    before = existing_cache(cache, fixtures)
    Path(lock_path_str(cache)).touch()  # the lock file may exist from earlier runs; the write itself must fail
    cache.parent.chmod(0o500)
    try:
        if os.geteuid() == 0:
            # Root ignores mode bits; a real writer process without the override capabilities does not.
            require_tool("setpriv")
            result = subprocess.run(
                ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--",
                 sys.executable, str(WORKER), "update-once", str(cache)],
                capture_output=True, text=True, timeout=60,
            )
            assert result.returncode == 3, result.stderr
            message = result.stderr.strip()
        else:
            with pytest.raises(CacheError) as raised:
                update_cache(cache, lambda current: {"tray": {}})
            message = str(raised.value)
    finally:
        cache.parent.chmod(0o700)
    assert "previous copy is unchanged" in message and "\n" not in message
    assert cache.read_bytes() == before
    assert leftovers(cache.parent) == []


def test_a_folder_where_the_cache_should_be_fails_cleanly_and_leaves_no_temp_file(cache: Path) -> None:
    (cache / "something").mkdir(parents=True)
    with pytest.raises(CacheError, match="previous copy is unchanged"):
        update_state(cache, record, now=T)
    assert (cache / "something").is_dir()
    assert leftovers(cache.parent) == []


@pytest.mark.parametrize("code", [errno.EACCES, errno.ENOSPC, errno.EROFS], ids=["eacces", "enospc", "erofs"])
def test_an_injected_rename_failure_keeps_the_old_file_and_leaves_no_temp_file(
    cache: Path, fixtures: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    before = existing_cache(cache, fixtures)
    calls: list[str] = []

    def failing_replace(src: str, dst: str) -> None:
        calls.append(src)
        assert Path(src).exists()  # the temp file was really written before the rename failed
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(cache_module, "_replace", failing_replace)
    with pytest.raises(CacheError) as raised:
        update_state(cache, record, now=T)
    assert calls
    assert os.strerror(code) in str(raised.value)
    assert cache.read_bytes() == before
    assert leftovers(cache.parent) == []
    assert read_state(cache).source == "oh-my-claude"  # readers still see the old figures


@pytest.mark.parametrize(("minutes", "shown", "source"), [(3, 63, "oh-my-claude"), (-3, 47.9, "api")])
def test_oh_my_claudes_newer_pro_wins_over_our_older_reading_and_an_older_one_does_not(
        cache: Path, minutes: int, shown: float, source: str) -> None:
    update_state(cache, record, now=T)  # ours: 47.9 % at T
    written = json.loads(cache.read_text())
    # oh-my-claude's status line then writes its own figures (its whole file, our section kept as read)
    written["pro"] = {**written["pro"], "five_hour_pct": 63, "seven_day_pct": 25}
    written["updated_at"] = (T + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cache.write_text(json.dumps(written))
    state = read_state(cache)
    assert state.usage.five_hour.utilization == shown and state.source == source
    if source == "oh-my-claude":
        assert state.usage.seven_day.utilization == 25
        assert state.fetched_at == (T + timedelta(minutes=minutes)).replace(microsecond=0)
