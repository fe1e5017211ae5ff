"""The one redaction function every debug, log and error path uses. Standard library only."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Anything shaped like an Anthropic token, and any bearer credential in a header dump.
_TOKEN_SHAPE = re.compile(r"sk-ant-[a-z]{2,4}\d{0,2}-[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
_SECRET_FIELD = re.compile(
    r"(?i)(\"?(?:access_?token|refresh_?token|session_?key|authorization)\"?\s*[:=]\s*\"?)[^\"\s,}]+"
)

MASK = "[REDACTED]"


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
    text = _TOKEN_SHAPE.sub(MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return _SECRET_FIELD.sub(lambda m: m.group(1) + MASK, text)
