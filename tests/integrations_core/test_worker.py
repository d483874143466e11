"""The service's RQ worker: jobs in-process, with fewer Redis round trips than RQ's, and still suspendable."""

import django_rq
import pytest
from django_rq import get_worker
from rq import SimpleWorker
from rq.suspension import resume, suspend

from integrations_core.worker import IntegrationsWorker

pytestmark = pytest.mark.django_db


def _enqueue(n: int) -> None:
    for _ in range(n):
        django_rq.get_queue("pushes").enqueue("builtins.len", "x")


def _round_trips(worker_class, jobs: int) -> int:
    """Redis round trips (commands and pipelines) of a burst worker running `jobs` jobs."""
    _enqueue(jobs)
    w = get_worker("pushes", worker_class=worker_class)
    client, counted = w.connection, []
    execute_command, pipeline = client.execute_command, client.pipeline

    def counting_command(*args, **kwargs):
        counted.append(args[0])
        return execute_command(*args, **kwargs)

    def counting_pipeline(*args, **kwargs):
        p = pipeline(*args, **kwargs)
        execute = p.execute

        def counting_execute(*a, **k):
            counted.append("pipeline")
            return execute(*a, **k)

        p.execute = counting_execute
        return p

    client.execute_command, client.pipeline = counting_command, counting_pipeline
    assert w.work(burst=True)
    assert django_rq.get_queue("pushes").count == 0
    return len(counted)


def test_worker_runs_a_stream_of_jobs_with_fewer_redis_round_trips(worker):
    plain = _round_trips(SimpleWorker, jobs=50)
    ours = _round_trips(IntegrationsWorker, jobs=50)
    assert ours < plain * 0.7, (ours, plain)


def test_worker_in_burst_mode_stops_when_workers_are_suspended(worker):
    _enqueue(2)
    connection = django_rq.get_connection("pushes")
    suspend(connection)
    try:
        assert get_worker("pushes", worker_class=IntegrationsWorker).work(burst=True) is False  # took no job
    finally:
        resume(connection)
    assert django_rq.get_queue("pushes").count == 2
    assert get_worker("pushes", worker_class=IntegrationsWorker).work(burst=True) is True
    assert django_rq.get_queue("pushes").count == 0
