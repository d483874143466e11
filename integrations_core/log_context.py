"""Structured logs: the ids that tie one push's story together, carried by a contextvar onto every log line
written while they are bound, and the formatters that write those lines (JSON or plain text) without secrets.

    with log_context.bind(sync_id=sync.id, job_id=job.id):
        ...                                # every line logged here carries sync_id and job_id
        log_context.update(invoice_id=7)   # ... and from now on invoice_id too, until the `with` ends

The ids (`FIELDS`): invoice_id, sync_id, attempt_id, connection_id, provider, job_id (the RQ job) and
xero_correlation_id (Xero's `Xero-Correlation-Id` of the latest call). A value passed in a call's `extra`
wins over the bound one.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
from collections.abc import Iterator

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from .scrub import scrub, scrub_value

FIELDS = ("invoice_id", "sync_id", "attempt_id", "connection_id", "provider", "job_id", "xero_correlation_id")

_NOTHING: dict = {}
_bound: contextvars.ContextVar[dict] = contextvars.ContextVar("integrations_log_context", default=_NOTHING)


@contextlib.contextmanager
def bind(**ids) -> Iterator[None]:
    """Carry `ids` (None values left out) on every line logged inside the block, over what is bound already."""
    token = _bound.set({**_bound.get(), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _bound.reset(token)


def update(**ids) -> None:
    """Add `ids` to the innermost `bind` until it ends (a None value removes that id). Outside any `bind` it
    does nothing: a value set on a thread's own context would otherwise stay on every later request it serves."""
    current = _bound.get()
    if current is not _NOTHING:
        changed = {k: v for k, v in current.items() if ids.get(k, v) is not None}
        changed.update((k, v) for k, v in ids.items() if v is not None)
        _bound.set(changed)


def current() -> dict:
    """The ids bound now (a copy)."""
    return dict(_bound.get())


class ContextFilter(logging.Filter):
    """Puts the bound ids on each record (as attributes, like `extra`); installed on the handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _bound.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: timestamp, level, logger, message, the bound ids and any other `extra`, with every
    text scrubbed of tokens and secrets (integrations_core.scrub) and the values of secret-named keys removed."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args or ("%(levelname)s %(name)s %(message)s",), **kwargs)

    def process_log_record(self, log_data):
        return scrub_value({key: _plain(value) for key, value in log_data.items()})


def _plain(value):
    """A value JSON takes as it is, else its text (then scrubbed like any text: a request's repr has its URL)."""
    if value is None or isinstance(value, (str, int, float, bool, dict, list, tuple)):
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


class TextFormatter(logging.Formatter):
    """The plain line (`make run`): time, level, logger, message, then the ids and other `extra` values as
    `[key=value ...]` (the ids first); scrubbed like the JSON line."""

    def __init__(self, fmt: str | None = None, *args, **kwargs):
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in record.__dict__.items()
                 if k not in RESERVED_ATTRS and not k.startswith("_") and v is not None and k not in _SKIP}
        names = [n for n in FIELDS if n in extra] + sorted(n for n in extra if n not in FIELDS)
        values = scrub_value({n: _plain(extra[n]) for n in names})
        text = super().format(record)
        if not values:
            return scrub(text)
        pairs = " ".join(f"{name}={value}" for name, value in values.items())
        head, newline, rest = text.partition("\n")  # the ids on the first line, before any traceback
        return scrub(f"{head} [{pairs}]{newline}{rest}")


_SKIP = {"message", "asctime", "request"}  # already in the line, or a whole request object
