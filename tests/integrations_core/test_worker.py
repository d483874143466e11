"""The service's RQ worker: jobs in-process, with fewer Redis round trips than RQ's, and still suspendable."""

import django_rq
import pytest
from django_rq import get_worker
from rq import RateLimit, SimpleWorker
from rq.rate_limit import RateLimitRegistry
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


def _rq_keys(connection) -> set[str]:
    return {key.decode() for key in connection.keys("rq:*")}


def test_a_job_that_keeps_no_result_leaves_nothing_behind_and_frees_its_concurrency_slot(worker):
    connection = django_rq.get_connection("pushes")
    w = get_worker("pushes", worker_class=IntegrationsWorker)
    before = _rq_keys(connection)
    # Two jobs under a concurrency of one: the second runs only once the first has given its slot back.
    queue = django_rq.get_queue("pushes")
    jobs = [f"keeps-nothing-{i}" for i in range(2)]
    for job_id in jobs:
        queue.enqueue("builtins.len", "ab", rate_limit=RateLimit(key="test-slot", concurrency=1), result_ttl=0,
                      job_id=job_id)
    assert queue.count == 1  # the second is held back until the first gives its slot back
    assert w.work(burst=True)
    assert django_rq.get_queue("pushes").count == 0
    left = _rq_keys(connection) - before
    assert not [key for key in left if any(job_id in key for job_id in jobs)], left
    limit = RateLimitRegistry(key="test-slot", connection=connection)
    assert limit.get_allowed_job_ids() == [] and limit.get_rate_limited_job_ids() == []
    assert not connection.zcard(django_rq.get_queue("pushes").started_job_registry.key)
    stats = w.connection.hmget(w.key, "successful_job_count", "total_working_time")
    assert int(stats[0]) == 2 and float(stats[1]) > 0


def test_a_job_that_keeps_no_result_still_releases_the_jobs_that_depend_on_it(worker):
    queue = django_rq.get_queue("pushes")
    queue.enqueue("builtins.len", "ab", result_ttl=0, job_id="first")
    queue.enqueue("builtins.len", "abc", depends_on="first", result_ttl=60, job_id="then")
    assert queue.fetch_job("then").get_status() == "deferred"
    assert get_worker("pushes", worker_class=IntegrationsWorker).work(burst=True)
    then = queue.fetch_job("then")
    assert then.get_status() == "finished" and then.return_value() == 3
    assert queue.fetch_job("first") is None


def _seen_while_running() -> dict:
    """What RQ's monitors (rq info, the admin's queue pages) read of the running job and its worker."""
    from rq import get_current_job
    from rq.worker import Worker

    job = get_current_job()
    queue = django_rq.get_queue("pushes")
    [worker] = Worker.all(connection=job.connection)
    return {"status": job.get_status(refresh=True), "started": job.id in queue.started_job_registry.get_job_ids(),
            "executions": len(job.get_executions()), "worker_state": worker.get_state(),
            "worker_job": worker.get_current_job_id(), "intermediate": job.id in queue.connection.lrange(
                queue.intermediate_queue_key, 0, -1)}


def test_a_running_job_is_shown_started_with_its_execution_and_busy_worker(worker):
    queue = django_rq.get_queue("pushes")
    queue.enqueue(_seen_while_running, result_ttl=60, job_id="watched")
    assert get_worker("pushes", worker_class=IntegrationsWorker).work(burst=True)
    seen = queue.fetch_job("watched").return_value()
    assert seen == {"status": "started", "started": True, "executions": 1, "worker_state": "busy",
                    "worker_job": "watched", "intermediate": False}
