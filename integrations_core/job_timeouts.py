"""Job timeouts for workers that run in threads: one watchdog thread per process, not one timer thread per job.

A thread cannot take SIGALRM, so RQ's choice for threads is its TimerDeathPenalty: a `threading.Timer` started and
cancelled around every job. Starting a thread costs the kernel a clone and the process a hand-over of the GIL, about
0.2 ms of CPU a job, more than some of a push's own steps. Here every job's deadline goes into one table of the
process, watched by one thread that sleeps until the earliest of them; at a deadline it raises the job's timeout in the
job's thread as RQ's timer does (the exception lands when that thread next runs Python code; a call blocked on the
network is bounded by its own read timeout first).
"""

from __future__ import annotations

import ctypes
import threading
import time
from functools import cache

from rq.timeouts import BaseDeathPenalty, JobTimeoutException


@cache
def _timeout_class(exception: type[BaseException], seconds: float) -> type[BaseException]:
    """`exception` with its message (a thread's asynchronous exception is raised from its class, with no arguments)."""
    message = f"Task exceeded maximum timeout value ({seconds:g} seconds)"

    def __init__(self, *args):
        exception.__init__(self, *(args or (message,)))

    return type(exception.__name__, (exception,), {"__init__": __init__, "__module__": exception.__module__})


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise `exception` in the thread when it next runs Python code (None: take back one not raised yet)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exception) if exception is not None else None)


class _Watchdog:
    """The deadlines of the process's running jobs, one per thread, and the thread that enforces them."""

    def __init__(self):
        self._changed = threading.Condition(threading.Lock())
        self._deadlines: dict[int, tuple[float, type[BaseException]]] = {}  # thread id -> (monotonic, exception)
        self._fired: set[int] = set()
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None

    def watch(self, thread_id: int, seconds: float, exception: type[BaseException]) -> None:
        deadline = time.monotonic() + seconds
        with self._changed:
            self._deadlines[thread_id] = (deadline, exception)
            self._fired.discard(thread_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="job-timeouts", daemon=True)
                self._thread.start()
            elif deadline < self._wake_at:  # the common job's deadline is later than one already watched: no wake
                self._changed.notify()

    def forget(self, thread_id: int) -> None:
        with self._changed:
            self._deadlines.pop(thread_id, None)
            if thread_id in self._fired:  # its timeout fired as the job ended: not to land in what the thread does next
                self._fired.discard(thread_id)
                _raise_in(thread_id, None)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for thread_id, (deadline, exception) in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[thread_id]
                        self._fired.add(thread_id)
                        _raise_in(thread_id, exception)
                self._wake_at = min((deadline for deadline, _ in self._deadlines.values()), default=float("inf"))
                self._changed.wait(None if self._wake_at == float("inf") else self._wake_at - now)


_watchdog = _Watchdog()


class WatchdogDeathPenalty(BaseDeathPenalty):
    """RQ's death penalty for a job run in a thread, enforced by the process's one watchdog thread."""

    def __init__(self, timeout, exception=JobTimeoutException, **kwargs):
        super().__init__(timeout, exception, **kwargs)
        self._thread_id = threading.get_ident()

    def setup_death_penalty(self):
        if self._timeout > 0:
            _watchdog.watch(self._thread_id, self._timeout, _timeout_class(self._exception, self._timeout))

    def cancel_death_penalty(self):
        if self._timeout > 0:
            _watchdog.forget(self._thread_id)
