"""Xero's budget per organisation, shared by every worker on every machine: 60 calls a minute and
5,000 a day, and the app's own 10,000 a minute across every organisation (the `limits` library on Redis;
in memory when there is no Redis). Bulk work (the manual re-sync) takes at most the minute less
XERO_LIVE_SHARE and the day less XERO_LIVE_DAY_SHARE, so live pushes always find their share free. Five at
once is held by RQ's RateLimit through ProviderInfo.concurrency. Xero's own count of what is left (sent on every
response) is kept for estimates."""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from limits import RateLimitItem, RateLimitItemPerSecond, storage, strategies

from integrations_core import plugin_api
from integrations_core.errors import ClassifiedError, ErrorCategory, PushError
from integrations_core.hookspecs import Budget

_memory_budget: dict[str, dict] = {}
RECORD_EVERY = 1.0  # seconds between two records of Xero's remaining budget, per organisation and process
_recorded_at: dict[str, float] = {}
APP_KEY = "xero:budget:app"  # what Xero last said is left of the app's minute (X-AppMinLimit-Remaining)
_bulk: ContextVar[bool] = ContextVar("xero_bulk_calls", default=False)
APP_BUDGET_SPENT = "the app's minute budget across all organisations is spent (not this organisation's)"


@lru_cache(maxsize=4)
def _store(url: str):
    return storage.storage_from_string(url) if url else storage.MemoryStorage()


@lru_cache(maxsize=4)
def _limiter(url: str):
    # The minutes are moving windows: no 60 seconds hold more than the minute's calls. Xero's own windows are fixed
    # but start at each organisation's first call, not where ours would: two fixed windows of ours could put twice
    # the minute into one of Xero's.
    return strategies.MovingWindowRateLimiter(_store(url))


@lru_cache(maxsize=4)
def _day_limiter(url: str):
    # The day is a sliding window counter: as close, in two counters per organisation, not 5,000 entries.
    return strategies.SlidingWindowCounterRateLimiter(_store(url))


def _window(amount: int, seconds: int) -> RateLimitItem:
    """`amount` calls per window of `seconds` of Xero's clock: shorter by XERO_CLOCK_SCALE against a local Xero
    whose clock is scaled, so that our windows turn with its own."""
    scale = settings.XERO_CLOCK_SCALE if settings.XERO_CLOCK_SCALE > 0 else 1.0
    return RateLimitItemPerSecond(amount, max(1, round(seconds / scale)))


def _minute(amount: int) -> RateLimitItem:
    return _window(amount, 60)


def _items(url: str) -> tuple[tuple[str, RateLimitItem, object], ...]:
    return (("minute", _minute(settings.XERO_MINUTE_LIMIT), _limiter(url)),
            ("day", _window(settings.XERO_DAY_LIMIT, 86400), _day_limiter(url)))


@contextmanager
def bulk_calls():
    """The Xero calls made within are bulk work (a re-sync's batches and reads): they `spend` as bulk."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


def bulk_minute_limit() -> int:
    """Bulk work's part of an organisation's minute: the minute less XERO_LIVE_SHARE (at least one call)."""
    return max(1, settings.XERO_MINUTE_LIMIT - max(0, settings.XERO_LIVE_SHARE))


def bulk_day_limit() -> int:
    """Bulk work's part of an organisation's day: the day less XERO_LIVE_DAY_SHARE (at least one call)."""
    return max(1, settings.XERO_DAY_LIMIT - max(0, settings.XERO_LIVE_DAY_SHARE))


def _refuse(limiter, item, keys, detail: str) -> PushError:
    reset_at = limiter.get_window_stats(item, *keys).reset_time
    wait = max(1.0, reset_at - time.time())
    return PushError(ClassifiedError.of(ErrorCategory.RATE_LIMITED, "Xero", retry_after=wait, detail=detail))


def spend(tenant_id: str, calls: int = 1, *, bulk: bool | None = None) -> None:
    """Take `calls` from the organisation's minute and day budget and from the app's minute (across every
    organisation), or refuse without calling Xero. A bulk call (`bulk`; by default whether it is made
    within `bulk_calls`) must also fit in bulk work's part of the minute: the minute less XERO_LIVE_SHARE.

    Checked in that order, so a bulk call refused leaves the minute to live pushes and an organisation that
    is out of budget takes nothing from the app's.

    :raises PushError: rate_limited, with the wait until the window that ran out resets.
    """
    url = settings.REDIS_URL or ""
    limiter = _limiter(url)
    if _bulk.get() if bulk is None else bulk:
        item = _minute(bulk_minute_limit())
        if not limiter.hit(item, "xero-bulk", tenant_id, cost=calls):
            raise _refuse(limiter, item, ("xero-bulk", tenant_id),
                          "bulk work's part of the organisation's minute budget is spent "
                          f"({settings.XERO_MINUTE_LIMIT - item.amount} calls a minute are kept for live pushes)")
        day, day_limiter = _window(bulk_day_limit(), 86400), _day_limiter(url)
        if not day_limiter.hit(day, "xero-bulk-day", tenant_id, cost=calls):
            raise _refuse(day_limiter, day, ("xero-bulk-day", tenant_id),
                          "bulk work's part of the organisation's day budget is spent "
                          f"({settings.XERO_DAY_LIMIT - day.amount} calls a day are kept for live pushes)")
    for window, item, counter in _items(url):
        if not counter.hit(item, "xero", tenant_id, cost=calls):
            raise _refuse(counter, item, ("xero", tenant_id), f"the organisation's {window} budget is spent")
    app = _minute(settings.XERO_APP_MINUTE_LIMIT)
    if not limiter.hit(app, "xero-app", "minute", cost=calls):
        raise _refuse(limiter, app, ("xero-app", "minute"), APP_BUDGET_SPENT)


def record_remaining(tenant_id: str, headers) -> None:
    """Keep what Xero says is left of the organisation's minute and day budget, at most once a second per
    organisation and process (an estimate for people; the budget itself is `spend`'s)."""
    if not headers:
        return
    values = {"minute": headers.get("X-MinLimit-Remaining"), "day": headers.get("X-DayLimit-Remaining"),
              "at": time.time()}
    if values["minute"] is None and values["day"] is None:
        return
    app = headers.get("X-AppMinLimit-Remaining")  # the app's minute, across every organisation
    if settings.INTEGRATIONS_ASYNC_JOBS:
        if values["at"] - _recorded_at.get(tenant_id, 0.0) < RECORD_EVERY:
            return
        _recorded_at[tenant_id] = values["at"]
        pipe = plugin_api.redis().pipeline(transaction=False)
        pipe.hset(f"xero:budget:{tenant_id}", mapping={k: str(v) for k, v in values.items() if v is not None})
        if app is not None:
            pipe.hset(APP_KEY, mapping={"minute": str(app), "at": str(values["at"])})
        pipe.execute()
    else:
        _memory_budget[tenant_id] = values
        if app is not None:
            _memory_budget[APP_KEY] = {"minute": app, "at": values["at"]}


def remaining(tenant_id: str) -> dict:
    """The organisation's remaining {"minute", "day"} calls as Xero last reported (None if unknown)."""
    report = reported([tenant_id])[tenant_id]
    return {k: report[k] for k in ("minute", "day")}


def reported(tenant_ids) -> dict[str, dict]:
    """`remaining` of many organisations in one Redis round trip, each with "at" too: when Xero said so (a Unix
    time; None if never). For /metrics, which reports every connected organisation's budget at each scrape."""
    ids = list(tenant_ids)
    if settings.INTEGRATIONS_ASYNC_JOBS and ids:
        pipe = plugin_api.redis().pipeline(transaction=False)
        for tenant_id in ids:
            pipe.hgetall(f"xero:budget:{tenant_id}")
        raws = [{k.decode(): v.decode() for k, v in found.items()} for found in pipe.execute()]
    else:
        raws = [{k: str(v) for k, v in _memory_budget.get(t, {}).items() if v is not None} for t in ids]
    return {tenant_id: {**{k: int(float(raw[k])) if raw.get(k) else None for k in ("minute", "day")},
                        "at": float(raw["at"]) if raw.get("at") else None}
            for tenant_id, raw in zip(ids, raws)}


def app_reported() -> dict:
    """What Xero last said is left of the app's minute budget: {"minute", "at"} (None if never)."""
    if settings.INTEGRATIONS_ASYNC_JOBS:
        raw = {k.decode(): v.decode() for k, v in plugin_api.redis().hgetall(APP_KEY).items()}
    else:
        raw = {k: str(v) for k, v in _memory_budget.get(APP_KEY, {}).items()}
    return {"minute": int(float(raw["minute"])) if raw.get("minute") else None,
            "at": float(raw["at"]) if raw.get("at") else None}


def budget(tenant_id: str) -> Budget:
    """The organisation's budget as Xero last reported it, with its limits (for the engine's estimates)."""
    left = remaining(tenant_id)
    # A re-sync is bulk work: it takes the minute less the share kept for live pushes.
    return Budget(minute_remaining=left["minute"], day_remaining=left["day"], per_minute=settings.XERO_MINUTE_LIMIT,
                  per_day=settings.XERO_DAY_LIMIT, bulk_per_minute=bulk_minute_limit())
