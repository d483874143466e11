"""The RQ worker the service runs: no fork per job, database connections checked around each job, and
none of RQ's bookkeeping round trips that a stream of short jobs does not need.

RQ's default worker forks a child per job, which costs more than a push itself against a fast
remote; a job here is short and holds no state between runs, so running jobs in the worker process
(RQ's SimpleWorker) is both safe and several times faster. A job that hangs is still bounded by the
queue's job timeout.
"""

import time

from django.db import close_old_connections, connections
from rq import SimpleWorker
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.rate_limit import RELEASE_AND_ENQUEUE_SCRIPT, RateLimitRegistry
from rq.results import Result
from rq.utils import current_timestamp, now, utcformat
from rq.worker import WorkerStatus


def _tidy_connections() -> None:
    # Inside an atomic block (a test running the worker in its transaction) closing would poison it.
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


# A job that ran to success and keeps no result (result_ttl 0), in one atomic step: RQ's own path watches and reads
# the job's dependents, then its status and its executions twice (nine round trips before its write) to learn what
# this worker already knows, and then frees the job's RateLimit slot in two more (the concurrency read, then RQ's
# release script). It does nothing and answers 0 when the job has dependents, which RQ's path then enqueues.
# KEYS: dependents, worker, started registry, execution, execution registry, worker executions, job,
#       dependencies, result, then (a job with a rate limit) the limit's config, allowed and rate-limited sets
# ARGV: execution's registry member (job:execution), execution id, seconds worked, job id, then (a rate limit) the
#       arguments of RQ's RELEASE_AND_ENQUEUE_SCRIPT after its concurrency: timestamp, enqueued_at, queue key
#       prefix, job key prefix
# With a rate limit it ends in RQ's own release script, given that script's keys and arguments (the concurrency
# read from the limit's config, as RQ reads it): it answers the ids of the jobs it let through.
_FORGET_FINISHED = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HINCRBY', KEYS[2], 'successful_job_count', 1)
redis.call('HINCRBYFLOAT', KEYS[2], 'total_working_time', ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[2])
redis.call('SREM', KEYS[6], ARGV[1])
redis.call('DEL', KEYS[4], KEYS[7], KEYS[1], KEYS[8], KEYS[9])
if #KEYS == 9 then return 1 end
redis.call('ZREM', KEYS[12], ARGV[4])
local concurrency = tonumber(redis.call('HGET', KEYS[10], 'concurrency')) or 0
local KEYS, ARGV = {KEYS[11], KEYS[12]}, {concurrency, ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[4]}
""" + RELEASE_AND_ENQUEUE_SCRIPT


def _limit_keys(rate_limit_key: str) -> list[str]:
    """The config, allowed and rate-limited keys of a RateLimit, as RQ names them (without building its registry,
    which registers four scripts, a digest each)."""
    limit = object.__new__(RateLimitRegistry)
    limit.key = rate_limit_key
    return [limit.config_key, limit.allowed_key, limit.rate_limited_key]


class IntegrationsWorker(SimpleWorker):
    """RQ's SimpleWorker, with its per-job Redis round trips cut from about twenty to four: the dequeue, the job's
    read, its start (one transaction with the execution's record, which RQ writes in one of its own first) and its
    end (one script).

    Around every job RQ beats the worker's key three times (before and after the dequeue, after the job;
    three commands each), asks whether workers are suspended, and writes the worker's state even when it
    is unchanged. The key lives for the worker TTL + 60 s and every job's own bookkeeping pipeline beats it
    too, so a separate beat every few seconds keeps it as alive; `rq suspend` is seen within a second.
    A job that ends well and keeps no result (every push) is forgotten, and its RateLimit slot freed, in one
    script, not in twelve round trips, and with no callback to run it is not beaten once more on its way out.
    """

    beat_every = 5.0
    suspension_check_every = 1.0
    _beaten_at = _suspension_checked_at = float("-inf")
    _forget_finished = None
    _held = None  # the execution's writes, sent with the job's start (prepare_execution)

    def execute_job(self, job, queue):
        _tidy_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            _tidy_connections()

    def prepare_execution(self, job):
        # RQ records the execution in one transaction, then (prepare_job_execution, as the job starts) the job's start
        # in a second: here the first is held and sent with the second, one round trip for both.
        self._held = pipeline = self.connection.pipeline()
        execution = Execution.create(job, self.get_heartbeat_ttl(job), pipeline=pipeline, worker_name=self.name)
        self.executions[execution.id] = execution
        self.set_state(WorkerStatus.BUSY, pipeline=pipeline)
        return execution

    def prepare_job_execution(self, job, remove_from_intermediate_queue=False):
        pipeline, self._held = self._held, None
        if pipeline is None:
            return super().prepare_job_execution(job, remove_from_intermediate_queue)
        # RQ 3.0's BaseWorker.prepare_job_execution, on the held pipeline.
        with pipeline:
            heartbeat_ttl = self.get_heartbeat_ttl(job)
            self.heartbeat(heartbeat_ttl, pipeline=pipeline)
            job.heartbeat(now(), heartbeat_ttl, pipeline=pipeline)
            job.prepare_for_execution(self.name, pipeline=pipeline)
            pipeline.persist(job.key)
            if remove_from_intermediate_queue:
                pipeline.lrem(Queue(job.origin, connection=self.connection).intermediate_queue_key, 1, job.id)
            pipeline.execute()
        self.procline(f"Processing {job.func_name} from {job.origin} since {time.time()}")

    def heartbeat(self, timeout=None, pipeline=None):
        beaten = time.monotonic()
        if pipeline is None and timeout is None and beaten - self._beaten_at < self.beat_every:
            return
        super().heartbeat(timeout, pipeline)
        self._beaten_at = beaten

    def check_for_suspension(self, burst):
        checked = time.monotonic()
        if checked - self._suspension_checked_at < self.suspension_check_every:
            return
        self._suspension_checked_at = checked
        super().check_for_suspension(burst)

    def handle_execution_ended(self, job, queue, heartbeat_ttl):
        if job.success_callback is None and job.failure_callback is None and job.stopped_callback is None:
            job.ended_at = now()  # RQ's beat here keeps the job alive while its callbacks run: it has none
            return
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def handle_job_success(self, job, queue, started_job_registry, execution):
        if job.get_result_ttl(self.default_result_ttl) != 0 or job.repeats_left or job.group_id:
            return super().handle_job_success(job, queue, started_job_registry, execution)
        keys = [job.dependents_key, self.key, started_job_registry.key, execution.key,
                ExecutionRegistry(job.id, connection=self.connection).key, execution.worker_executions_key, job.key,
                job.dependencies_key, Result.get_key(job.id)]
        args = [execution.composite_key, execution.id, (job.ended_at - job.started_at).total_seconds(), job.id]
        if job.has_rate_limit:
            keys += _limit_keys(job.rate_limit_key)
            args += [current_timestamp(), utcformat(now()), Queue.redis_queue_namespace_prefix,
                     Job.redis_job_namespace_prefix]
        if self._forget_finished is None:
            self._forget_finished = self.connection.register_script(_FORGET_FINISHED)
        if self._forget_finished(keys=keys, args=args) == 0:  # it has dependents: RQ's own path enqueues them
            return super().handle_job_success(job, queue, started_job_registry, execution)
        job._status = JobStatus.FINISHED
        self.executions.pop(execution.id, None)

    def set_state(self, state, pipeline=None):
        if pipeline is None and state == self.get_state():
            return
        super().set_state(state, pipeline)
