"""Shared fixtures (no model imports at module level: plugin packages load this with `-p tests.conftest`): a clean Redis per test, a real RQ worker run in burst mode, the stub connections."""

import datetime as dt

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with empty queues and limits (the tests' Redis database is theirs alone)."""
    if settings.INTEGRATIONS_ASYNC_JOBS:
        import django_rq

        django_rq.get_connection("pushes").flushdb()
    yield


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    """Retries and coalesced pushes with no wait, so a burst worker runs them at once; tests of the
    wait override this."""
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 0
    settings.INTEGRATIONS_MAX_ATTEMPTS = 3
    settings.INTEGRATIONS_COALESCE_SECONDS = 0


class Worker:
    """Runs real RQ jobs with the service's worker class, in burst mode, in this process."""

    queues = ("pushes", "bulk", "maintenance")

    def run(self) -> int:
        """Work until the queues are empty; returns the number of jobs run."""
        from django_rq import get_worker

        from integrations_core.worker import IntegrationsWorker

        ran = []

        class CountingWorker(IntegrationsWorker):
            def execute_job(self, job, queue):
                ran.append(job.id)
                return super().execute_job(job, queue)

        get_worker(*self.queues, worker_class=CountingWorker).work(burst=True, with_scheduler=False)
        return len(ran)

    def run_scheduled(self, *, within: float = 86400) -> int:
        """Let `within` seconds pass for the jobs and retries: move jobs scheduled within that onto their
        queues (as RQ's scheduler would when their time comes) and make the retries due by then due now (the
        push checks a retry's time on the database's clock), then work. Returns the number moved."""
        import django_rq
        from rq.registry import ScheduledJobRegistry

        from integrations_core import clock
        from integrations_core.models import InvoiceSync, SyncState

        now = clock.now()
        InvoiceSync.objects.filter(state=SyncState.RETRYING,
                                   next_retry_at__lte=now + dt.timedelta(seconds=within)).update(next_retry_at=now)
        moved = 0
        horizon = int((dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=within)).timestamp())
        for name in self.queues:
            queue = django_rq.get_queue(name)
            registry = ScheduledJobRegistry(queue=queue)
            for job_id in registry.get_jobs_to_schedule(horizon):
                job = queue.fetch_job(job_id)
                registry.remove(job)
                queue.enqueue_job(job)
                moved += 1
        self.run()
        return moved

    def scheduled(self) -> list:
        import django_rq
        from rq.registry import ScheduledJobRegistry

        return [
            (job_id, ScheduledJobRegistry(queue=django_rq.get_queue(name)).get_scheduled_time(job_id))
            for name in self.queues
            for job_id in ScheduledJobRegistry(queue=django_rq.get_queue(name)).get_job_ids()
        ]


@pytest.fixture
def worker():
    assert settings.INTEGRATIONS_ASYNC_JOBS, "the tests need REDIS_URL (use `make test`)"
    return Worker()


@pytest.fixture
def supplier(db):
    from tests.factories import SupplierFactory

    return SupplierFactory()


@pytest.fixture
def netsuite(supplier):
    from tests.factories import ConnectionFactory

    return ConnectionFactory(supplier=supplier, provider="netsuite")


# The local Xero's fixtures, for every test (the contract suite runs against Xero too).
from tests.xero_plugin.conftest import (  # noqa: E402,F401
    _fast_sandbox_session, sdk_client, xero_api, xero_fast_sandbox, xero_sandbox, xero_sandbox_session)
from tests.xero_plugin.plugin.conftest import xero, xero_conn  # noqa: E402,F401
