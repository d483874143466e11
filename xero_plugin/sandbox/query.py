"""A small evaluator for Xero's ``where`` filter language.

Supports what integrations use: ``Field == "x"``, ``!=``, ``<``/``<=``/``>``/``>=``,
``AND``/``OR``/``NOT`` (also ``&&``/``||``), parentheses, dotted paths
(``Contact.ContactID``), ``guid("…")``, ``DateTime(2020, 1, 1)``, numbers, ``true``/``false``/
``null`` and ``.Contains()`` / ``.StartsWith()`` / ``.EndsWith()`` / ``.ToLower()`` / ``.ToUpper()``.
Anything else raises ``QueryError`` (rendered as Xero's 400 QueryParseException).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|>=|<=|&&|\|\||[<>=(),!])
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
)""", re.X)
_CASE_INSENSITIVE = ("Name", "Contact.Name", "EmailAddress")


class QueryError(ValueError):
    """The filter could not be parsed."""


def _tokens(text: str):
    pos, out = 0, []
    text = text.strip()
    if len(re.findall(r'(?<!\\)"', text)) % 2:
        raise QueryError("Unterminated string literal")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError("Unexpected character at position %d" % pos)
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            if len(value) < 2:
                raise QueryError("Unterminated string literal")
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, tokens):
        self.toks, self.i = tokens, 0

    def peek(self, value=None):
        if self.i >= len(self.toks):
            return None
        tok = self.toks[self.i]
        if value is None:
            return tok
        kind, val = tok
        return tok if (kind in ("op", "name") and val.upper() == value.upper()) else None

    def take(self, value=None):
        tok = self.peek(value)
        if tok is None:
            raise QueryError("Expected %s" % (value or "an expression"))
        self.i += 1
        return tok

    def parse(self):
        fn = self.or_expr()
        if self.i != len(self.toks):
            raise QueryError("Unexpected token '%s'" % self.toks[self.i][1])
        return fn

    def or_expr(self):
        parts = [self.and_expr()]
        while self.peek("OR") or self.peek("||"):
            self.i += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def and_expr(self):
        parts = [self.unary()]
        while self.peek("AND") or self.peek("&&"):
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def unary(self):
        if self.peek("NOT") or self.peek("!"):
            self.i += 1
            inner = self.unary()
            return lambda row: not inner(row)
        if self.peek("("):
            self.i += 1
            inner = self.or_expr()
            self.take(")")
            return inner
        left, lname = self.operand()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("==", "!=", "<", "<=", ">", ">=", "="):
            self.i += 1
            right, _ = self.operand()
            return _compare(left, tok[1], right, lname in _CASE_INSENSITIVE)
        return lambda row: bool(left(row))

    def operand(self):
        kind, val = self.take()
        if kind == "str":
            return (lambda row: val), None
        if kind == "num":
            num = Decimal(val)
            return (lambda row: num), None
        if kind != "name":
            raise QueryError("Unexpected token '%s'" % val)
        upper = val.upper()
        if upper in ("TRUE", "FALSE"):
            flag = upper == "TRUE"
            return (lambda row: flag), None
        if upper == "NULL":
            return (lambda row: None), None
        if self.peek("("):
            return self.call(val), None
        return (lambda row: _lookup(row, val)), val

    def call(self, name):
        self.take("(")
        args = []
        while not self.peek(")"):
            args.append(self.take())
            if not self.peek(")"):
                self.take(",")
        self.take(")")
        upper = name.upper()
        if upper == "GUID" and len(args) == 1 and args[0][0] == "str":
            value = args[0][1].lower()
            return lambda row: value
        if upper in ("DATETIME", "DATETIMEOFFSET") and 3 <= len(args) <= 6 and all(a[0] == "num" for a in args):
            moment = dt.datetime(*[int(a[1]) for a in args], tzinfo=dt.timezone.utc)
            return lambda row: moment
        path, _, method = name.rpartition(".")
        method = method.upper()
        if path and method in ("CONTAINS", "STARTSWITH", "ENDSWITH") and len(args) == 1:
            needle = str(args[0][1]).lower()
            test = {"CONTAINS": str.__contains__, "STARTSWITH": str.startswith, "ENDSWITH": str.endswith}[method]
            return lambda row: test(str(_lookup(row, path) or "").lower(), needle)
        if path and method in ("TOLOWER", "TOUPPER") and not args:
            conv = str.lower if method == "TOLOWER" else str.upper
            return lambda row: conv(str(_lookup(row, path) or ""))
        raise QueryError("Unknown function '%s'" % name)


def _lookup(row, path):
    value = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _norm(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return value


def _compare(left, op, right, insensitive):
    def test(row):
        a, b = _norm(left(row)), _norm(right(row))
        if isinstance(a, str) and isinstance(b, str):
            if insensitive or _looks_like_guid(a) or _looks_like_guid(b):
                a, b = a.lower(), b.lower()
        if op in ("==", "="):
            return a == b
        if op == "!=":
            return a != b
        if a is None or b is None:
            return False
        try:
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        except TypeError:
            return False
    return test


def _looks_like_guid(text):
    return len(text) == 36 and text.count("-") == 4


def compile_where(text: str | None):
    """Compile a where clause to ``predicate(row_dict) -> bool`` (None means match all)."""
    if not text or not text.strip():
        return None
    return _Parser(_tokens(text)).parse()
