"""Putting jobs on RQ queues, or running them in-process when no Redis is configured (`make run`).

Callers enqueue from `transaction.on_commit`, so a job never runs before the rows it reads exist.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

PUSHES = "pushes"
BULK = "bulk"
MAINTENANCE = "maintenance"

_queues: dict[tuple[str, str], object] = {}


def get_queue(name: str = PUSHES):
    """The RQ queue `name`, one per process: django_rq builds a new Redis client (a new TCP connection)
    on every call, which costs more than the enqueue itself."""
    import django_rq
    from django_rq.settings import QUEUES

    key = (name, str(QUEUES[name].get("URL")))
    queue = _queues.get(key)
    if queue is None:
        queue = _queues[key] = django_rq.get_queue(name)
    return queue


def redis():
    """The process's Redis client (the queues' own), for locks and shared counters."""
    return get_queue(PUSHES).connection


def enqueue(
    func: Callable | str,
    *args,
    queue: str = PUSHES,
    delay: float = 0,
    concurrency_key: str | None = None,
    concurrency: int | None = None,
    job_timeout: int | None = None,
    keep_result: bool = True,
    job_id: str | None = None,
    retry: tuple[int, ...] = (),
):
    """Run `func(*args)` on a worker of `queue`, after `delay` seconds.

    `func` is a function or its dotted path ("integrations_core.jobs.push_sync"): services name the jobs
    that call them back by path, so that they need not import the jobs module (which imports them).

    `concurrency_key`/`concurrency` hold RQ's RateLimit: at most that many jobs with the key queued or
    running at once, across every worker on every machine. `keep_result=False` drops a job as soon as it
    succeeds (RQ's result_ttl=0), for jobs whose outcome is recorded in the database anyway; a failed job
    still lands in RQ's failed registry. `retry`: the waits (seconds) before RQ runs a job that raised
    again (RQ's Retry), for failures outside the job's own handling (its database or Redis gone).
    Returns the RQ job, or None in-process.
    """
    if not settings.INTEGRATIONS_ASYNC_JOBS:
        return _run_in_process(func, args, delay)

    from rq import RateLimit, Retry

    q = get_queue(queue)
    options = {}
    if concurrency_key and concurrency:
        options["rate_limit"] = RateLimit(key=concurrency_key, concurrency=concurrency)
    if job_timeout:
        options["job_timeout"] = job_timeout
    if not keep_result:
        options["result_ttl"] = 0
    if job_id:
        options["job_id"] = job_id
    if retry:
        options["retry"] = Retry(max=len(retry), interval=list(retry))
    if delay > 0:
        return q.enqueue_in(timedelta(seconds=delay), func, *args, **options)
    return q.enqueue(func, *args, **options)


def waiting_job_ids(name: str = PUSHES) -> set[str]:
    """The ids of every job of queue `name` that will still run: on the queue, scheduled (delays and
    retries), running, or held back by a concurrency limit. Empty in-process (nothing waits there)."""
    if not settings.INTEGRATIONS_ASYNC_JOBS:
        return set()
    from rq.rate_limit import RateLimitRegistry
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    q = get_queue(name)
    ids = set(q.get_job_ids())
    for registry in (ScheduledJobRegistry(queue=q), StartedJobRegistry(queue=q)):
        ids.update(registry.get_job_ids(cleanup=False))
    for limit in RateLimitRegistry.all(q.connection):
        ids.update(limit.get_rate_limited_job_ids())
    return ids


def waiting_jobs(name: str = PUSHES) -> list:
    """The RQ jobs of queue `name` that will still run (see `waiting_job_ids`); empty in-process."""
    job_ids = waiting_job_ids(name)
    if not job_ids:
        return []
    from rq.job import Job

    q = get_queue(name)
    return [job for job in Job.fetch_many(sorted(job_ids), connection=q.connection, serializer=q.serializer)
            if job is not None]


def _run_in_process(func: Callable | str, args: tuple, delay: float):
    if isinstance(func, str):
        func = import_string(func)
    if delay > 0:
        timer = threading.Timer(delay, _run_logged, (func, args, True))
        timer.daemon = True
        timer.start()
        return None
    _run_logged(func, args, False)
    return None


def _run_logged(func: Callable, args: tuple, in_thread: bool) -> None:
    try:
        func(*args)
    except Exception:  # a job's failure must not break the request that queued it
        log.exception("in-process job %s failed", getattr(func, "__name__", func))
    finally:
        if in_thread:
            close_old_connections()
