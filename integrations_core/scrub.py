"""Removing secrets from text before it is stored or logged (raw error bodies, request logs)."""

import re

# Names whose values are secrets, wherever they appear (text below; keys of structured values in `scrub_value`).
SECRET_NAMES = ("access_token", "refresh_token", "id_token", "client_secret", "password", "api_key", "code_verifier")

_PATTERNS = [
    # "access_token": "...", refresh_token=..., client_secret: ...
    (re.compile(r'(?i)("?(?:' + "|".join(SECRET_NAMES) + r')"?\s*[:=]\s*"?)'
                r'[^"&,\s}]+'), r"\1[removed]"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[removed]"),
    (re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"), r"\1[removed]"),
    # JWTs anywhere
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "[removed-jwt]"),
]

# Any text that one of the patterns could change contains one of these: most texts (log lines) do not, and
# one search costs less than four substitutions.
_CANDIDATE = re.compile(r"(?i)" + "|".join(SECRET_NAMES) + r"|bearer|basic|eyJ")

MAX_LENGTH = 20_000


def scrub(text: str | bytes | None) -> str:
    """The text with tokens, secrets and authorization headers replaced by "[removed]", bounded in size."""
    if not text:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not _CANDIDATE.search(text):
        return text[:MAX_LENGTH]
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text[:MAX_LENGTH]


_SECRET_KEY = re.compile(r"(?i)(" + "|".join(SECRET_NAMES) + r"|authorization|credentials|secret|token|cookie)")
_secret_keys: dict[str, bool] = {}  # the answer per key seen (a few dozen names in practice)


def _is_secret_key(key) -> bool:
    if not isinstance(key, str):
        return False
    known = _secret_keys.get(key)
    if known is None:
        known = bool(_SECRET_KEY.search(key))
        if len(_secret_keys) < 4096:
            _secret_keys[key] = known
    return known


def scrub_value(value, depth: int = 0):
    """A structured value (a log record's extras, a Sentry event) with every text scrubbed and the values of
    keys that name secrets (`access_token`, `credentials`, `Authorization`, ...) replaced by "[removed]"."""
    if isinstance(value, (str, bytes)):
        return scrub(value)
    if depth > 8:  # deeper than any record or event we make: not worth walking
        return value
    if isinstance(value, dict):
        return {key: "[removed]" if value[key] and _is_secret_key(key)
                else scrub_value(value[key], depth + 1) for key in value}
    if isinstance(value, (list, tuple)):
        return [scrub_value(item, depth + 1) for item in value]
    return value
