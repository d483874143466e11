"""Shared fixtures (no model imports at module level: plugin packages load this with `-p tests.conftest`): a clean Redis per test, a real RQ worker run in burst mode, the stub connections."""

import datetime as dt

import pytest
from django.conf import settings

from integrations_core.contract.pytest_plugin import Worker as BurstWorker


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with empty queues and limits (the tests' Redis database is theirs alone)."""
    if settings.INTEGRATIONS_ASYNC_JOBS:
        import django_rq

        django_rq.get_connection("pushes").flushdb()
    yield


_registry_holds = {"installed": None}  # whether the loaded registry holds the plugins installed beside the project


@pytest.fixture(autouse=True)
def _project_plugins_only(request, monkeypatch):
    """The project's tests see the project's own plugins (and those a test installs for itself): a plugin pip
    installed into this environment beside them, a third party's or a broken one, is the contract suite's
    business (tests/contract runs against every installed plugin), so installing one never turns these red."""
    import sysconfig

    from integrations_core import registry

    contract = "contract" in request.node.path.parts
    if _registry_holds["installed"] is not contract:
        registry.reset()
        _registry_holds["installed"] = contract
    if contract:
        return
    site = {sysconfig.get_paths()[name] for name in ("purelib", "platlib")}
    everything = registry.entry_points

    def ours():
        return [entry for entry in everything() if entry.dist is None or entry.dist.name == "accounting-integrations"
                or not any(str(getattr(entry.dist, "_path", "")).startswith(path) for path in site)]

    monkeypatch.setattr(registry, "entry_points", ours)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Passwords hashed cheaply: the production hasher's deliberate cost (hundreds of ms a user) is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    """Retries and coalesced pushes with no wait, so a burst worker runs them at once; tests of the
    wait override this."""
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 0
    settings.INTEGRATIONS_MAX_ATTEMPTS = 3
    settings.INTEGRATIONS_COALESCE_SECONDS = 0


@pytest.fixture(autouse=True)
def _action_rates_restored(monkeypatch):
    """Each test ends with the API's action rate limits it started with: a test that sets
    `ActionThrottle.THROTTLE_RATES` must not leave them to the tests after it (pytest-django runs the
    non-transactional tests first, so which tests follow one changes with its marker)."""
    from integrations_core.api.scoping import ActionThrottle

    monkeypatch.setattr(ActionThrottle, "THROTTLE_RATES", ActionThrottle.THROTTLE_RATES)


def _is_transactional(request) -> bool:
    """Whether pytest-django runs this test as a TransactionTestCase (real commits), as it decides it."""
    marker = request.node.get_closest_marker("django_db")
    if marker:
        from pytest_django.fixtures import validate_django_db

        transactional, reset_sequences, *_ = validate_django_db(marker)
        if transactional or reset_sequences:
            return True
    return bool({"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _on_commit_as_in_autocommit(request, monkeypatch):
    """In a test wrapped in a rolled-back transaction (plain `django_db`), run `on_commit` callbacks as if
    that wrapping transaction were autocommit, so code that queues its jobs on commit can be tested without
    `transaction=True` (which flushes every table after each test).

    Django marks the test case's own atomic blocks `_from_testcase`; `connection.atomic_blocks` is the
    stack of open ones. With only test-case blocks open, a callback runs at once (Django's autocommit
    branch). Inside an inner block Django keeps it in `run_on_commit`, and rolling back to a savepoint
    drops it; when the outermost non-test block exits successfully (where a real COMMIT would be) the
    kept callbacks run, and when it rolls back (or its exit fails) they are dropped. Robust callbacks log
    and continue as Django's do. Transactional tests keep Django's own behaviour. (This makes
    `django_capture_on_commit_callbacks` see nothing registered outside an inner block.)"""
    if _is_transactional(request):
        return
    from django.db import transaction
    from django.db.backends.base.base import BaseDatabaseWrapper, logger

    def only_test_blocks(blocks) -> bool:
        return bool(blocks) and all(block._from_testcase for block in blocks)

    def run(func, robust):
        if not robust:
            return func()
        try:
            func()
        except Exception as e:
            logger.error(f"Error calling {func.__qualname__} in on_commit() (%s).", e, exc_info=True)

    original_on_commit = BaseDatabaseWrapper.on_commit

    def on_commit(self, func, robust=False):
        if not (callable(func) and self.in_atomic_block and only_test_blocks(self.atomic_blocks)):
            return original_on_commit(self, func, robust)
        run(func, robust)

    original_exit = transaction.Atomic.__exit__

    def __exit__(self, exc_type, exc_value, traceback):
        connection = transaction.get_connection(self.using)
        blocks = connection.atomic_blocks
        if not (connection.in_atomic_block and len(blocks) > 1 and not blocks[-1]._from_testcase
                and only_test_blocks(blocks[:-1])):
            return original_exit(self, exc_type, exc_value, traceback)
        # The outermost block of the code under test: every callback in run_on_commit was registered in it.
        commits = exc_type is None and not connection.needs_rollback and not connection.closed_in_transaction
        try:
            original_exit(self, exc_type, exc_value, traceback)
        finally:  # run after a successful exit, dropped after a rollback or a failed exit
            callbacks, connection.run_on_commit = connection.run_on_commit, []
        if commits:
            for _, func, robust in callbacks:
                run(func, robust)

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    monkeypatch.setattr(transaction.Atomic, "__exit__", __exit__)


class Worker(BurstWorker):
    """Runs real RQ jobs with the service's worker class, in burst mode, in this process (the contract suite's
    burst, with scheduled jobs and retries brought forward)."""

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
