"""The one redaction function every debug, log and error path uses. Standard library only."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

MASK = "[REDACTED]"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Anything shaped like an Anthropic token, any bearer credential in a header dump, any secret field.

    Compiled on first use, not at import: `claude-tray status` imports this module and never redacts.
    """
    return (
        re.compile(r"(?i)sk-ant-[a-z]{2,4}\d{0,2}-[A-Za-z0-9_\-]+"),
        re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),
        re.compile(r"(?i)(\"?(?:access_?token|refresh_?token|session_?key|authorization)\"?\s*[:=]\s*\"?)[^\"\s,}]+"),
    )


def mask_token(token: str) -> str:
    """A token reduced to its kind: `sk-ant-oat01-…[REDACTED]` — enough to debug, nothing to steal."""
    if not token:
        return "(empty)"
    match = re.match(r"(sk-ant-[a-z]{2,4}\d{0,2}-)", token)
    return (match.group(1) if match else "") + "…" + MASK


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove every known secret and anything token-shaped from `text`.

    A known secret is caught however it comes back (SPEC §8): whole or as any slice of `SLICE` characters of
    its secret part (a server echoing it without its `sk-ant-oat01-` prefix, truncated, or cut in two), in any
    case, JSON- (`\\u002d`), percent- (`%2D`) or HTML-escaped (`&#45;`), or split by markup (`<b>`).
    """
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, MASK)
            text = _mask_slices(text, secret)
    token_shape, bearer, secret_field = _patterns()
    text = token_shape.sub(MASK, text)
    text = bearer.sub(lambda m: m.group(1) + MASK, text)
    return secret_field.sub(lambda m: m.group(1) + MASK, text)


SLICE = 12  # this many characters of a token's secret part are masked wherever they appear
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@functools.cache
def _escapes() -> re.Pattern[str]:
    """What stands for one character (or none) in text a server sends: the forms a token can be echoed in."""
    return re.compile(
        r"\\u([0-9a-fA-F]{4})|\\([\\/\"])|%([0-9a-fA-F]{2})|&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));?"
        r"|&(amp|lt|gt|quot|apos);|<[^<>]{0,200}>"
    )


_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unescaped(text: str) -> tuple[str, list[int], list[int]]:
    """`text` with escapes decoded and markup dropped, ASCII lower-cased, and for each character of the
    result where it starts and ends in `text` (so a match found in the result is masked in `text`)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for found in _escapes().finditer(text):
        at, end = found.span()
        chars.append(text[done:at])
        starts.extend(range(done, at))
        ends.extend(range(done + 1, at + 1))
        done = end
        code16, quoted, pct, hexa, deci, named = found.groups()
        if found.group().startswith("<"):
            continue  # markup: stands for nothing
        try:
            number = int(code16 or pct or hexa, 16) if (code16 or pct or hexa) else int(deci) if deci else -1
            char = chr(number) if number >= 0 else quoted or _NAMED[named]
        except (ValueError, OverflowError, KeyError):
            char = found.group()[0]
        chars.append(char[:1])
        starts.append(at)
        ends.append(end)
    chars.append(text[done:])
    starts.extend(range(done, len(text)))
    ends.extend(range(done + 1, len(text) + 1))
    return "".join(chars).translate(_ASCII_LOWER), starts, ends


def _secret_part(secret: str) -> str:
    prefix = re.match(r"(?i)sk-ant-[a-z]{2,4}\d{0,2}-", secret)
    return secret[prefix.end():] if prefix else secret


@functools.lru_cache(maxsize=8)
def _slices_of(secret: str) -> tuple[int, frozenset[str], re.Pattern[str]] | None:
    """The slice size, every slice of the secret part (ASCII lower-cased) and a pattern for runs of its
    characters long enough to hold one; None when the secret is too short to slice."""
    core = _secret_part(secret).translate(_ASCII_LOWER)
    if len(core) < SLICE:
        core, size = secret.translate(_ASCII_LOWER), len(secret)
    else:
        size = SLICE
    if len(core) < size:
        return None
    alphabet = "".join(sorted(set(core)))
    runs = re.compile("[" + re.escape(alphabet) + "]{" + str(size) + ",}")  # re.escape covers ] ^ - \\
    return size, frozenset(core[i:i + size] for i in range(len(core) - size + 1)), runs


def _mask_slices(text: str, secret: str) -> str:
    sliced = _slices_of(secret)
    if sliced is None or not text:
        return text
    size, slices, runs = sliced
    if "\\" in text or "%" in text or "&" in text or "<" in text:
        plain, starts, ends = _unescaped(text)
    else:  # nothing escaped: the text is its own plain form (most texts, and far cheaper)
        plain, starts, ends = text.translate(_ASCII_LOWER), None, None
    spans: list[tuple[int, int]] = []
    for run in runs.finditer(plain):
        begin, stop = run.span()
        for i in range(begin, stop - size + 1):
            if plain[i:i + size] in slices:
                first = starts[i] if starts is not None else i
                last = ends[i + size - 1] if ends is not None else i + size
                if spans and first <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], last)
                else:
                    spans.append((first, last))
    for begin, stop in reversed(spans):
        text = text[:begin] + MASK + text[stop:]
    return text
