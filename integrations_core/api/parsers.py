"""JSON in, bounded: a body over the size limit is a 413 and one nested deeper than the depth limit a 400,
before `json` reads it (Python's parser recurses, so 100,000 `[` would be a RecursionError and a 500).

`loads` is the same bounded reader for bodies that do not come through DRF (the Xero webhook).
"""

from __future__ import annotations

import codecs
import json
import re

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

# A JSON string (escapes included), so that brackets inside strings do not count as nesting. An unterminated
# one runs to the end of the text: every `"` starts a match that cannot fail, so the scan stays linear (with
# a plain `"..."` pattern, `"\"\"\"...` unterminated is quadratic).
_STRING = re.compile(r'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.S)
# Brackets as `(` and `)`, every other byte deleted (UTF-8 never uses an ASCII byte inside a character).
_AS_PARENS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class RequestTooLarge(exceptions.APIException):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int | None = None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
        super().__init__(f"The request body is larger than the limit of {limit} bytes.")


class TooDeeplyNested(ValueError):
    """The JSON nests arrays/objects deeper than the limit."""


def max_depth() -> int:
    return settings.API_JSON_MAX_DEPTH


def max_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def check_depth(text: str, limit: int) -> None:
    """Raise `TooDeeplyNested` when `text` opens more than `limit` arrays/objects inside one another.
    No recursion and no loop per character: strings are cut out, brackets become `(`/`)`, and each pass
    of `replace("()", "")` takes away the innermost level; after `limit` passes a pair left is one level
    too deep. (A body with an unterminated string is not JSON: json refuses it after.)"""
    if text.count("[") + text.count("{") <= limit:
        return
    brackets = _STRING.sub("", text).encode("utf-8", "surrogatepass").translate(_AS_PARENS, _NOT_BRACKETS)
    if b"(" * (limit + 1) in brackets:  # the usual attack, [[[[..., at once
        raise TooDeeplyNested(f"JSON nested more than {limit} levels deep.")
    for _ in range(limit):
        shorter = brackets.replace(b"()", b"")
        if len(shorter) == len(brackets):
            return
        brackets = shorter
    if b"()" in brackets:
        raise TooDeeplyNested(f"JSON nested more than {limit} levels deep.")


def loads(data: bytes | str, *, depth: int | None = None):
    """`json.loads` with the depth limit; raises ValueError (TooDeeplyNested, JSONDecodeError,
    UnicodeDecodeError) for anything it will not read. NaN and Infinity are refused, as DRF's STRICT_JSON."""
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    limit = max_depth() if depth is None else depth
    check_depth(text, limit)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # a belt to the braces above
        raise TooDeeplyNested(f"JSON nested more than {limit} levels deep.") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the size limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 413) and the nesting limit
    (API_JSON_MAX_DEPTH, 400). Django refuses a body whose Content-Length is over the limit when DRF reads
    it (RequestDataTooBig, answered 413 by the error handler); the parser holds to the same bound whatever
    the stream."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = max_bytes()
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(limit)
        encoding = parser_context.get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = codecs.decode(raw, encoding)
            return loads(text)
        except (ValueError, LookupError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
