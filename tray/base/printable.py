"""Text from outside made safe to show (SPEC §8): no control characters reach a terminal, a menu or a
notification, and no line of a server's making can pass for one of ours. Standard library only.

Control characters (ESC sequences, carriage returns, newlines, C1 codes), the invisible characters that
reorder or break lines (bidi overrides, line and paragraph separators) and lone surrogates (which no output
encoding can write) are replaced by their visible escape (`\\x1b`, `\\n`, `\\u202e`, `\\ud83d`).
"""

from __future__ import annotations

import functools
import re


@functools.cache
def _unsafe(keep: str) -> re.Pattern[str]:
    kept = "".join(re.escape(c) for c in keep)
    pattern = "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
    return re.compile(f"(?![{kept}]){pattern}" if kept else pattern)


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    code = ord(char)
    if char in "\n\r\t":
        return repr(char)[1:-1]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, keep: str = "") -> str:
    """`text` with every unsafe character (but those in `keep`, e.g. "\\n\\t" for a body shown on its own
    lines) written as its escape."""
    if text.isascii() and text.isprintable():  # nothing to escape (" " to "~"): no pattern compiled for a name
        return text
    return _unsafe(keep).sub(_escape, text)


def one_line(text: str, limit: int) -> str:
    """A name from outside as one short, safe line: escaped, surrounding blanks dropped, at most `limit`
    characters (an ellipsis says it was cut)."""
    text = escape_controls(text).strip()
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
