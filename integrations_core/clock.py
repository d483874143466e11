"""One clock for every machine: the database's.

Attempts, due times and the sweep's thresholds are compared across machines (a push started on one
worker, swept by another, retried by a third), so they are read from one clock. Each process measures
its offset to the database's clock now and then and runs on its own monotonic clock in between, so a
machine whose wall clock is skewed or stepped records no negative duration and fires no retry early.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.db import connection as db
from django.utils import timezone

REMEASURE_EVERY = 60.0  # seconds; a drifting wall clock does not matter, only the rate of the monotonic one

_lock = threading.Lock()
_base: tuple[dt.datetime, float] | None = None  # (the database's time, our monotonic time) when measured


def _measure() -> tuple[dt.datetime, float]:
    with db.cursor() as cursor:
        before = time.monotonic()
        cursor.execute("SELECT clock_timestamp()")
        [(database_now,)] = cursor.fetchall()
        after = time.monotonic()
    return database_now, (before + after) / 2


def now() -> dt.datetime:
    """The database's current time (aware, UTC). SQLite runs on this machine, so its clock is this one's."""
    global _base
    if db.vendor != "postgresql":
        return timezone.now()
    base = _base
    if base is None or time.monotonic() - base[1] > REMEASURE_EVERY:
        with _lock:
            base = _base = _measure()
    database_then, measured_at = base
    return (database_then + dt.timedelta(seconds=time.monotonic() - measured_at)).astimezone(dt.timezone.utc)


def forget() -> None:
    """Measure again at the next reading (tests that change the clock; a new database)."""
    global _base
    _base = None
