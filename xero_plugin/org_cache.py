"""An organisation's lists as Xero last gave them (its chart, tax rates, currencies, tracking categories), kept for
every worker process at once: in Django's cache (Redis) for `SHARED_SECONDS`, and in each process for
`LOCAL_SECONDS` in front of it.

With thousands of organisations on one app, each process reading each organisation's lists for itself would
spend the app's minute on reads: two or more calls per organisation, per process, every few minutes. Read once
for all, they cost that once. `forget` (after Xero refused a code the lists said was good) drops the shared copy
and this process's; other processes follow within `LOCAL_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import cache

from integrations_core.models import Connection

log = logging.getLogger(__name__)
SHARED_SECONDS = 600
LOCAL_SECONDS = 60
FORMAT = 1  # of what is kept: raise it when a kept value changes shape


class OrgCache:
    """One kind of list (`name`), by connection."""

    def __init__(self, name: str, shared_seconds: float = SHARED_SECONDS):
        self.name, self.shared_seconds = name, shared_seconds
        self._local: dict[tuple[int, str], tuple[float, Any]] = {}  # by (connection, tenant)
        self._lock = threading.Lock()

    def _key(self, connection: Connection) -> str:
        # The tenant too: a connection id may come round again (a database made anew beside the same Redis). The
        # format too: a release that keeps another shape reads anew rather than an older release's copy.
        return f"xero:org:{FORMAT}:{self.name}:{connection.pk}:{connection.tenant_id}"

    def get_or_read(self, connection: Connection, read):
        """The kept value; else `read()`'s (a call to Xero), kept for every process."""
        value = self.get(connection)
        if value is None:
            value = read()
            self.put(connection, value)
        return value

    def _kept_here(self, connection: Connection):
        with self._lock:
            kept = self._local.get(_here(connection))
        return kept[1] if kept and kept[0] > time.monotonic() else None

    def get(self, connection: Connection):
        """The kept value, or None (not kept, or kept too long)."""
        if (value := self._kept_here(connection)) is not None:
            return value
        value = self._shared("read", cache.get, connection)
        if value is not None:
            self._keep_here(connection, value)
        return value

    def put(self, connection: Connection, value) -> None:
        """Keep `value` for every process."""
        self._keep_here(connection, value)
        self._shared("kept", cache.set, connection, value, self.shared_seconds)

    def forget(self, connection: Connection) -> None:
        """Read it from Xero again next time."""
        with self._lock:
            self._local.pop(_here(connection), None)
        self._shared("dropped", cache.delete, connection)

    def _shared(self, done: str, operation, connection: Connection, *args):
        # The shared copy only saves calls: when Redis is unreachable, or a copy kept by an older release no longer
        # loads, the lists are read from Xero (and a dropped copy lapses on its own; Xero refuses a gone code).
        try:
            return operation(self._key(connection), *args)
        except Exception:
            log.warning("the shared copy of %s of connection %s could not be %s", self.name, connection.pk, done,
                        exc_info=True)
            return None

    def clear(self) -> None:
        """Forget what this process keeps (tests: a new local Xero)."""
        with self._lock:
            self._local.clear()

    def _keep_here(self, connection: Connection, value) -> None:
        with self._lock:
            self._local[_here(connection)] = (time.monotonic() + min(LOCAL_SECONDS, self.shared_seconds), value)


def bring_here(connection: Connection, *lists: OrgCache) -> None:
    """Bring the shared copies of `lists` that this process has not into it, in one Redis round trip (each `get`
    then finds its own here): a push of an organisation this process has not pushed for lately needs several."""
    missing = [kept for kept in lists if kept._kept_here(connection) is None]
    if len(missing) < 2:
        return
    keys = [kept._key(connection) for kept in missing]
    try:
        found = cache.get_many(keys)
    except Exception:  # each `get` tries on its own, and reads from Xero when it cannot
        log.warning("the shared copies of connection %s's lists could not be read together", connection.pk,
                    exc_info=True)
        return
    for kept, key in zip(missing, keys):
        if found.get(key) is not None:
            kept._keep_here(connection, found[key])


def _here(connection: Connection) -> tuple[int, str]:
    # By tenant too: a connection moved to another organisation must not be checked against the old one's lists.
    return connection.pk, connection.tenant_id
