"""Many RQ workers in one process, one per thread, so that pushes overlap while each waits on the remote.

A push spends nearly all its time waiting for the accounting system (Xero answers in 150-400 ms): one worker
a process makes about four a second, and its memory (Django, the SDK, the plugins) is what a worker costs.
Here each thread runs a worker of its own (its own name, registration, heartbeats and started-job registry
entries), so RQ, its RateLimit (five at once per connection) and the scheduler see N ordinary workers.

Threads can neither install signal handlers nor take SIGALRM: a job's timeout is raised in the job's thread by
the process's one watchdog thread (`job_timeouts`, when the job next runs Python code: a call blocked on Xero is
bounded by its read timeout first), and the main thread owns SIGTERM and SIGINT. The first asks every worker to stop after
its current job (warm shutdown); a second exits at once (cold). Django's database connections are per thread:
each thread closes its own when it ends.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from django.db import connections
from rq.exceptions import StopRequested
from rq.logutils import setup_loghandlers
from rq.utils import now
from rq.worker import WorkerStatus

from .job_timeouts import WatchdogDeathPenalty
from .worker import IntegrationsWorker

log = logging.getLogger(__name__)


class ThreadWorker(IntegrationsWorker):
    """The service's worker, run in a thread beside others in one process (see the module docstring)."""

    death_penalty_class = WatchdogDeathPenalty
    poll_seconds = 1  # an idle worker waits on the queues this long at a time, so it sees a stop request
    _idle_unwritten = False

    def _install_signal_handlers(self):
        pass  # the main thread's (WorkerThreads)

    def procline(self, message):
        pass  # the process title is one for every thread (setproctitle): it stays the command's

    def request_warm_stop(self) -> None:
        """Stop after the current job, or (idle) within `poll_seconds`. Safe from any thread."""
        self._shutdown_requested_date = now()
        self._stop_requested = True

    def set_state(self, state, pipeline=None):
        # A worker that finds its next job at once is not shown idle in between (a round trip a job): the state
        # is written once it has waited a poll for one.
        if state == WorkerStatus.IDLE and pipeline is None and self.get_state() == WorkerStatus.BUSY:
            self._idle_unwritten = True
            return
        self._idle_unwritten = False
        super().set_state(state, pipeline)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        if timeout is None:  # burst: one look at the queues, no wait
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        idle = 0
        while True:
            if self._stop_requested:
                raise StopRequested()
            result = super().dequeue_job_and_maintain_ttl(self.poll_seconds, self.poll_seconds)
            if result is None and self._idle_unwritten:
                self._idle_unwritten = False
                super().set_state(WorkerStatus.IDLE)
            idle += self.poll_seconds
            if result is not None or (max_idle_time is not None and idle >= max_idle_time):
                return result


class WorkerThreads:
    """`threads` workers of `worker_class` on `queue_names`, each in a thread of this process."""

    def __init__(self, queue_names, *, threads: int, worker_class: type[ThreadWorker] = ThreadWorker,
                 logging_level: str = "WARNING"):
        from django_rq import get_worker

        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.logging_level = logging_level
        self.workers = [get_worker(*queue_names, worker_class=worker_class) for _ in range(threads)]
        self._threads: list[threading.Thread] = []
        self._signals = 0
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Warm shutdown: every worker stops after its current job."""
        self.stopping.set()
        for worker in self.workers:
            worker.request_warm_stop()

    def _on_signal(self, signum, frame) -> None:
        self._signals += 1
        if self._signals == 1:
            log.warning("got %s: every worker stops after its current job (again to stop at once)",
                        signal.Signals(signum).name)
            self.stop()
            return
        log.warning("got %s again: cold shutdown, running jobs cut short (the sweep pushes them again)",
                    signal.Signals(signum).name)
        for worker in self.workers:
            try:
                worker.register_death()
            except Exception:  # Redis gone: the registrations expire with their TTL
                pass
        os._exit(1)

    def _work(self, worker: ThreadWorker, burst: bool) -> None:
        try:
            worker.work(burst=burst, logging_level=self.logging_level, with_scheduler=False)
        except Exception:
            log.exception("worker %s stopped on an error", worker.name)
        finally:
            connections.close_all()  # this thread's

    def start(self, *, burst: bool = False) -> WorkerThreads:
        # Once here, not in each thread's bootstrap at once (it adds a handler when it finds none).
        for name in ("rq.worker", "rq.job"):
            setup_loghandlers(self.logging_level, name=name)
        connections.close_all()  # the main thread runs no job
        self._threads = [threading.Thread(target=self._work, args=(worker, burst), name=f"rq-worker-{i}",
                                          daemon=True) for i, worker in enumerate(self.workers)]
        for thread in self._threads:
            thread.start()
        return self

    def wait(self, *, burst: bool = False) -> int:
        """Until every thread has ended. Outside burst mode one worker ending on its own (Redis lost, an error
        outside any job) stops the others, so the process exits and its supervisor starts it again: exit code 1.
        Otherwise 0."""
        code = 0
        while any(thread.is_alive() for thread in self._threads):
            for thread in self._threads:
                thread.join(0.2)  # short joins: the main thread takes its signals between them
                if not thread.is_alive() and not burst and not self.stopping.is_set():
                    log.error("worker thread %s ended on its own: stopping the others", thread.name)
                    code = 1
                    self.stop()
        return code

    def run(self, *, burst: bool = False) -> int:
        """Start the threads, take SIGTERM/SIGINT (main thread only), wait. Returns the exit code."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, self._on_signal)
        return self.start(burst=burst).wait(burst=burst)
