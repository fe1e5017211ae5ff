"""The cache's top-level object as raw members, so other tools' keys go back exactly as they came (SPEC §8).

oh-my-claude's `code` is theirs: it may hold what is valid JSON text yet cannot round-trip through Python
(`1e999` reads as infinity and `NaN` as nan, which strict JSON cannot write; a lone surrogate `"\\ud83d"` reads
as text UTF-8 cannot encode), or what Python will not read at all (a 5000-digit integer, 2000-deep nesting, a
Latin-1 byte). A writer that decoded and re-encoded it would fail every write, or drop it. So writers split
the file into its top-level members with one linear scan that never looks inside a value, decode only what
they need, and write every member they did not change back byte for byte. Standard library only.
"""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

Member = tuple[bytes, bytes]  # (the key as written, quotes included; the value as written)

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BLANK = re.compile(rb"[ \t\r\n]*")
_NESTED = re.compile(rb'["{}\[\]]')
# Finds where a value ends at C speed: numbers are not converted (no digit limit), constants not judged.
_SPANS = json.JSONDecoder(parse_int=len, parse_float=len, parse_constant=len)


def members(raw: bytes) -> list[Member] | None:
    """The members of a top-level JSON object, in file order; None when `raw` is not one whole object.

    A prefix of an object (a file caught mid-rewrite) is never whole. Linear in the size of the file,
    whatever the nesting: json's own scanner finds where each value ends (on the bytes read as Latin-1, one
    character per byte, so offsets are byte offsets and any byte is a character), and a value nested deeper
    than its recursion allows is measured by counting brackets.
    """
    text = raw.decode("latin-1")
    pos = _skip(raw, 3 if raw.startswith(b"\xef\xbb\xbf") else 0)
    if raw[pos:pos + 1] != b"{":
        return None
    found: list[Member] = []
    pos = _skip(raw, pos + 1)
    if raw[pos:pos + 1] == b"}":
        return found if not raw[pos + 1:].strip() else None
    while True:
        key = _STRING.match(raw, pos)
        if key is None:
            return None
        pos = _skip(raw, key.end())
        if raw[pos:pos + 1] != b":":
            return None
        pos = _skip(raw, pos + 1)
        end: int | None
        try:
            end = _SPANS.raw_decode(text, pos)[1]
        except RecursionError:
            end = _bracketed_end(raw, pos)
        except ValueError:
            return None
        if end is None:
            return None
        found.append((key.group(), raw[pos:end]))
        pos = _skip(raw, end)
        after = raw[pos:pos + 1]
        if after == b"}":
            return found if not raw[pos + 1:].strip() else None
        if after != b",":
            return None
        pos = _skip(raw, pos + 1)


def _skip(raw: bytes, pos: int) -> int:
    return _BLANK.match(raw, pos).end()  # type: ignore[union-attr]


def _bracketed_end(raw: bytes, pos: int) -> int | None:
    """Where the array or object at `pos` closes, counting brackets outside strings; None if it never does."""
    depth = 0
    while True:
        hit = _NESTED.search(raw, pos)
        if hit is None:
            return None
        char = raw[hit.start()]
        if char == 0x22:  # a string: skip it whole
            string = _STRING.match(raw, hit.start())
            if string is None:
                return None
            pos = string.end()
            continue
        pos = hit.end()
        depth += 1 if char in b"{[" else -1
        if depth <= 0:
            return pos if depth == 0 else None


def key_name(key: bytes) -> str | None:
    """The member's key as text, or None when it is not readable text (then no writer of ours owns it)."""
    try:
        name = json.loads(key)
    except (ValueError, RecursionError):
        return None
    return name if isinstance(name, str) else None


def decode(found: list[Member]) -> dict[str, Any]:
    """The members that Python can read, decoded; the rest are left out (they are carried, not read)."""
    decoded: dict[str, Any] = {}
    for key, value in found:
        name = key_name(key)
        if name is None:
            continue
        try:
            decoded[name] = json.loads(value)
        except (ValueError, RecursionError):
            decoded.pop(name, None)  # JSON's last duplicate wins, even when it cannot be read
    return decoded


def splice(found: list[Member], changes: Mapping[str, object], encode: Callable[[dict[str, object]], str]) -> bytes:
    """The file with `changes` applied: their members re-encoded in place (new ones at the end), every
    other member exactly as it was. `encode` writes a one-key object as the file's indented text
    (`json.dumps(..., indent=2)`'s shape); its TypeError/ValueError (NaN, an odd type) propagate."""
    parts: list[bytes] = []
    written: set[str] = set()
    for key, value in found:
        name = key_name(key)
        if name is not None and name in changes:
            if name not in written:
                parts.append(_member(name, changes[name], encode))
                written.add(name)
            continue
        parts.append(b"  " + key + b": " + value)
    parts.extend(_member(name, value, encode) for name, value in changes.items() if name not in written)
    return (b"{\n" + b",\n".join(parts) + b"\n}\n") if parts else b"{}\n"


def _member(name: str, value: object, encode: Callable[[dict[str, object]], str]) -> bytes:
    # A lone surrogate in our own text is written as its JSON escape (backslashreplace gives exactly `\ud83d`,
    # and only text inside a JSON string can be non-ASCII), never as bytes that are not UTF-8.
    return encode({name: value})[2:-2].encode("utf-8", "backslashreplace")
