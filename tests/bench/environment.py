"""The benchmark and chaos runs' world: a database of their own, clean queues, real RQ worker processes.

Everything runs on the configured PostgreSQL and Redis (`make bench` / `make chaos` set them), never on
SQLite or in-process jobs: the figures are those of the production shape.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


@contextlib.contextmanager
def bench_database():
    """A fresh database (migrated) for the run, dropped afterwards."""
    if connection.vendor != "postgresql":
        raise RuntimeError("benchmarks run on PostgreSQL: set DATABASE_URL (make bench does)")
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": f"{old_name}_bench"}
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def flush_queues() -> None:
    """Empty the queues, registries and limits of the run's Redis database."""
    import django_rq

    if not settings.INTEGRATIONS_ASYNC_JOBS:
        raise RuntimeError("benchmarks need Redis: set REDIS_URL (make bench does)")
    django_rq.get_connection("pushes").flushdb()


def database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerPool:
    """`n` RQ worker processes (`manage.py rqworker`, or `command`), on the run's database and Redis, and (`scheduler`)
    two scheduler processes (`manage.py integrations_scheduler`), one holding the lock and one standing by."""

    def __init__(self, n: int, queues=("pushes", "bulk", "maintenance"), env: dict | None = None,
                 scheduler: bool = True, command=("rqworker",)):
        self.n, self.queues, self.scheduler, self.command = n, queues, scheduler, tuple(command)
        self.env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
                    "RQ_LOG_LEVEL": "ERROR", "LOG_LEVEL": "ERROR", **(env or {})}
        self.processes: list[subprocess.Popen] = []
        self.schedulers: list[subprocess.Popen] = []

    def start(self) -> WorkerPool:
        for _ in range(self.n):
            self.processes.append(self._spawn())
        if self.scheduler:
            self.schedulers = [self._spawn_scheduler() for _ in range(2)]
        return self

    def _spawn(self) -> subprocess.Popen:
        return self._popen(*self.command, "-v", "0", *self.queues)

    def _spawn_scheduler(self) -> subprocess.Popen:
        return self._popen("integrations_scheduler", *self.queues)

    def _popen(self, *args) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def kill(self, index: int) -> None:
        """SIGKILL one worker mid-job (no cleanup at all), and start a replacement."""
        process = self.processes[index]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.processes[index] = self._spawn()

    def kill_scheduler(self, index: int = 0) -> None:
        """SIGKILL one scheduler process (the standby takes over), and start a new standby."""
        process = self.schedulers[index]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.schedulers[index] = self._spawn_scheduler()

    def scheduler_holder(self, queue_name: str = "pushes") -> int | None:
        """The index (in `schedulers`) of the scheduler process holding `queue_name`'s lock, if one does."""
        from rq.scheduler import RQScheduler

        from integrations_core import queue

        redis = queue.redis()
        name = redis.get(RQScheduler.get_locking_key(queue_name))
        if not name:
            return None
        pid = redis.hget(f"rq:scheduler:{name.decode()}", "pid")
        pids = [p.pid for p in self.schedulers]
        return pids.index(int(pid)) if pid and int(pid) in pids else None

    def revive(self) -> int:
        """Start again every worker or scheduler process that exited (as a process supervisor would).
        :return: how many were started."""
        started = 0
        for i, process in enumerate(self.processes):
            if process.poll() is not None:
                self.processes[i] = self._spawn()
                started += 1
        for i, process in enumerate(self.schedulers):
            if process.poll() is not None:
                self.schedulers[i] = self._spawn_scheduler()
                started += 1
        return started

    def stop(self) -> None:
        self.processes += self.schedulers
        self.schedulers = []
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def terminate_backends() -> int:
    """Terminate every other PostgreSQL backend on the run's database (the workers' connections, wherever
    they are: idle, mid-statement, mid-transaction), as a failover or restart would. :return: how many."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return sum(1 for (done,) in cursor.fetchall() if done)


def scheduled_jobs(name: str = "pushes") -> int:
    """How many jobs of queue `name` are scheduled for later (delayed pushes, retries)."""
    from rq.registry import ScheduledJobRegistry

    from integrations_core import queue

    return ScheduledJobRegistry(queue=queue.get_queue(name)).count
