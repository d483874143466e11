"""Removing secrets from text before it is stored or logged (raw error bodies, request logs)."""

import re

_PATTERNS = [
    # "access_token": "...", refresh_token=..., client_secret: ...
    (re.compile(r'(?i)("?(?:access_token|refresh_token|id_token|client_secret|password|api_key|code_verifier)"?\s*[:=]\s*"?)'
                r'[^"&,\s}]+'), r"\1[removed]"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[removed]"),
    (re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"), r"\1[removed]"),
    # JWTs anywhere
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "[removed-jwt]"),
]

MAX_LENGTH = 20_000


def scrub(text: str | bytes | None) -> str:
    """The text with tokens, secrets and authorization headers replaced by "[removed]", bounded in size."""
    if not text:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text[:MAX_LENGTH]
