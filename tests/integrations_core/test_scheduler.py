"""The scheduler does not die with a machine: a standby takes the lock within seconds and moves delayed jobs."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import django_rq
import pytest
from django.conf import settings
from rq.scheduler import RQScheduler

from integrations_core.scheduler import LOCK_SECONDS

ROOT = Path(__file__).resolve().parents[2]


def _holder(connection) -> str | None:
    value = connection.get(RQScheduler.get_locking_key("pushes"))
    return value.decode() if value else None


def _wait(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


@pytest.mark.slow  # waits for a lease to lapse
def test_a_standby_scheduler_takes_over_within_seconds_of_the_holders_death():
    if not settings.INTEGRATIONS_ASYNC_JOBS:
        pytest.skip("the scheduler needs Redis (make test sets it)")
    queue = django_rq.get_queue("pushes")
    redis = queue.connection
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    start = lambda: subprocess.Popen([sys.executable, "manage.py", "integrations_scheduler", "pushes"], cwd=ROOT,
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    schedulers = [start()]
    try:
        first = _wait(lambda: _holder(redis), 20)
        assert first and redis.ttl(RQScheduler.get_locking_key("pushes")) <= LOCK_SECONDS
        schedulers.append(start())
        time.sleep(2)
        assert _holder(redis) == first  # the standby waits while the holder lives

        schedulers[0].send_signal(signal.SIGKILL)  # the machine holding the lock dies
        schedulers[0].wait()
        job = queue.enqueue_in(dt.timedelta(seconds=1), "integrations_core.jobs.push_sync", 0)
        killed_at = time.monotonic()

        assert _wait(lambda: job.id in queue.get_job_ids(), LOCK_SECONDS + 10)
        assert _holder(redis) not in (None, first)
        assert time.monotonic() - killed_at < LOCK_SECONDS + 5
    finally:
        for process in schedulers:
            if process.poll() is None:
                process.kill()
                process.wait()
