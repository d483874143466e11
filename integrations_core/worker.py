"""The RQ worker the service runs: no fork per job, database connections checked around each job.

RQ's default worker forks a child per job, which costs more than a push itself against a fast
remote; a job here is short and holds no state between runs, so running jobs in the worker process
(RQ's SimpleWorker) is both safe and several times faster. A job that hangs is still bounded by the
queue's job timeout.
"""

from django.db import close_old_connections, connections
from rq import SimpleWorker


def _tidy_connections() -> None:
    # Inside an atomic block (a test running the worker in its transaction) closing would poison it.
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


class IntegrationsWorker(SimpleWorker):
    def execute_job(self, job, queue):
        _tidy_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            _tidy_connections()
