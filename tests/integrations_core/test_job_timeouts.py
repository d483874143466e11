"""Job timeouts of thread workers (integrations_core.job_timeouts): the job that outruns its timeout is stopped in its
own thread with RQ's JobTimeoutException and message; a job that ended in time is never stopped later; no thread is
started per job. (Through a real worker: test_worker_threads.)"""

import threading
import time

import pytest
from rq.timeouts import JobTimeoutException

from integrations_core.job_timeouts import WatchdogDeathPenalty


def _busy(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # Python code: where the timeout lands
        time.sleep(0.01)


def _run(timeout: float, seconds: float) -> BaseException | None:
    """A job of `seconds` under `timeout` in this thread; what it raised."""
    try:
        with WatchdogDeathPenalty(timeout, JobTimeoutException, job_id="job"):
            _busy(seconds)
    except JobTimeoutException as exc:
        return exc
    return None


def test_a_job_that_outruns_its_timeout_is_stopped_with_rqs_exception_and_message():
    raised = _run(0.3, 5)
    assert isinstance(raised, JobTimeoutException)
    assert str(raised) == "Task exceeded maximum timeout value (0.3 seconds)"
    assert type(raised).__name__ == "JobTimeoutException"


def test_each_thread_is_held_to_its_own_jobs_timeout():
    outcomes = {}

    def job(name, timeout, seconds):
        outcomes[name] = _run(timeout, seconds)

    threads = [threading.Thread(target=job, args=("slow", 0.3, 5)),
               threading.Thread(target=job, args=("in time", 5, 0.6))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert isinstance(outcomes["slow"], JobTimeoutException)
    assert outcomes["in time"] is None  # running while the other's timeout fired, and left alone


def test_a_job_that_ended_in_time_is_not_stopped_afterwards():
    assert _run(0.3, 0.05) is None
    _busy(0.6)  # past the first job's deadline: nothing lands here
    assert _run(5, 0.05) is None


def test_jobs_start_no_thread_each():
    _run(5, 0)  # the watchdog, once per process
    before = threading.active_count()
    for _ in range(50):
        assert _run(5, 0) is None
    assert threading.active_count() == before


@pytest.mark.parametrize("timeout", [0, -1])
def test_no_timeout_is_enforced_when_none_is_set(timeout):
    assert _run(timeout, 0.05) is None
