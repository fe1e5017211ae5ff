"""oh-my-claude's values are carried through as they were written, whatever they hold (SPEC §8): valid JSON
text Python cannot write back (1e999, NaN, a lone surrogate) or cannot read at all (a 5000-digit integer,
2000-deep nesting, a Latin-1 byte) never blocks a write and is never dropped."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given

from tests.reliability.strategies import as_bytes, cache_documents
from tray import statusline
from tray.store import cache
from tray.store.rawjson import decode, members, splice

STDIN = '{"rate_limits": {"five_hour": {"used_percentage": 23}, "seven_day": {"used_percentage": 41}}}'
FOREIGN = {
    "infinity": b'{"total": 1e999}',
    "nan": b'{"total": NaN, "cost": -Infinity}',
    "lone_surrogate": b'{"label": "\\ud83d", "models": ["\\udc00x"]}',
    "huge_integer": b'{"tokens": ' + b"7" * 5000 + b"}",
    "deep_nesting": b"[" * 2000 + b"1" + b"]" * 2000,
    "latin1_byte": b'{"label": "caf\xe9"}',
}


def oh_my_claude_file(path: Path, code: bytes) -> bytes:
    """What its updater writes (`cat > file`): `code`, `pro`, `updated_at`, nothing of ours."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = (b'{\n  "code": ' + code + b',\n  "pro": {"five_hour_pct": 10, "five_hour_resets_at": "", '
           b'"seven_day_pct": 20, "seven_day_resets_at": ""},\n  "updated_at": "2026-11-30T11:00:00Z"\n}\n')
    path.write_bytes(raw)
    path.chmod(0o600)
    return raw


def status_line(path: Path, stdin: str = STDIN) -> str:
    out = io.StringIO()
    assert statusline.main(io.StringIO(stdin), out, {"CLAUDE_TRAY_CACHE": str(path)}) == 0
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_a_foreign_value_in_code_is_written_back_as_it_was_and_our_figures_are_recorded(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "oh-my-claude" / ".usage_cache"
    oh_my_claude_file(path, FOREIGN[name])
    assert status_line(path) == "5h:23% 7d:41%\n"
    written = path.read_bytes()
    assert b'"code": ' + FOREIGN[name] + b"," in written  # byte for byte
    found = dict(members(written) or [])
    assert json.loads(found[b'"pro"'])["five_hour_pct"] == 23  # the write was not blocked
    assert cache.read_cache(path)["tray"]["usage"]["five_hour"]["utilization"] == 23  # and reads back
    # A second writer keeps it too (what a tray or `refresh` does a minute later).
    cache.update_cache(path, lambda current: {"updated_at": "2026-11-30T12:05:00Z"})
    assert b'"code": ' + FOREIGN[name] + b"," in path.read_bytes()


def test_a_file_of_ours_reads_back_the_same_through_the_member_scan(tmp_path: Path) -> None:
    path = tmp_path / ".usage_cache"
    oh_my_claude_file(path, b'{"x": [1, {"y": "a,b}"}]}')
    status_line(path)
    raw = path.read_bytes()
    assert splice(members(raw) or [], {}, json.dumps) == raw  # nothing changed: every byte as it was
    assert cache.read_cache(path) == json.loads(raw)


@pytest.mark.parametrize("cut", [1, 2, 10, 40, 100, -3, -2])
def test_a_half_written_file_is_never_taken_for_a_whole_one(tmp_path: Path, cut: int) -> None:
    path = tmp_path / ".usage_cache"
    raw = oh_my_claude_file(path, b'{"x": [1, {"y": "a,b}"}]}')
    assert members(raw[:cut] if cut > 0 else raw[: len(raw) + cut - 1]) is None


@given(as_bytes(cache_documents))
def test_the_member_scan_agrees_with_json_on_any_document(raw: bytes) -> None:
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        decoded = None
    found = members(raw)
    if isinstance(decoded, dict):
        assert found is not None
        assert json.dumps(decode(found), sort_keys=True) == json.dumps(decoded, sort_keys=True)
        assert splice(found, {}, json.dumps) == splice(members(splice(found, {}, json.dumps)) or [], {}, json.dumps)
    elif found is not None:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return  # only bytes that are not UTF-8 may be a whole object json will not read
        raise AssertionError(f"scan took {raw!r} for an object")
