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
        re.compile(r"sk-ant-[a-z]{2,4}\d{0,2}-[A-Za-z0-9_\-]+"),
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
    """Remove every known secret and anything token-shaped from `text`."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, MASK)
    token_shape, bearer, secret_field = _patterns()
    text = token_shape.sub(MASK, text)
    text = bearer.sub(lambda m: m.group(1) + MASK, text)
    return secret_field.sub(lambda m: m.group(1) + MASK, text)
