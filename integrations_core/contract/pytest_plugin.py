"""The contract suite's pytest plugin: ``-p integrations_core.contract.pytest_plugin``.

Fixtures: `harness` (one per provider under test: every registered provider, or those named with
``--contract-provider KEY``), `supplier`, `worker`, and `contract_environment` (autouse: retries and coalesced
pushes with no wait; an empty Redis database when jobs run on RQ). A provider with no harness is skipped with
how to declare one; with ``--contract-require-harness`` (what `python -m integrations_core.contract` passes)
that is a failure instead, as is a provider asked for that is not registered.

A project that collects the suite into its own test module without loading this plugin can import the
fixtures and `pytest_generate_tests` into a conftest.py (tests/contract/conftest.py does).
Nothing here imports Django at import time: pytest loads this before pytest-django sets Django up.
"""

from __future__ import annotations

import pytest

PROVIDER_ARG = "contract_provider"


def pytest_addoption(parser):
    group = parser.getgroup("contract", "the accounting plugin contract suite")
    group.addoption("--contract-provider", action="append", default=None, metavar="KEY",
                    help="run the contract suite against this provider (repeatable; default: every registered one)")
    group.addoption("--contract-require-harness", action="store_true", default=False,
                    help="a provider without a contract harness fails instead of being skipped")


def _option(config, name, default=None):
    return config.getoption(name, default)  # the default when the plugin's options are not registered


def providers_under_test(config) -> list[str]:
    asked = _option(config, "contract_provider")
    if asked:
        return list(dict.fromkeys(asked))
    from integrations_core import registry

    return sorted(registry.providers())


def pytest_generate_tests(metafunc):
    if PROVIDER_ARG not in metafunc.fixturenames:
        return
    own = getattr(metafunc.module, PROVIDER_ARG, contract_provider)
    if own is not contract_provider:
        return  # the test module names its provider with a `contract_provider` fixture of its own
    keys = providers_under_test(metafunc.config)
    metafunc.parametrize(PROVIDER_ARG, keys, indirect=True, ids=keys)


@pytest.fixture
def contract_provider(request):
    """The provider key under test (parametrized by `pytest_generate_tests`; a test module may instead define
    its own `contract_provider` fixture returning one key, as a generated plugin's tests/test_contract.py does)."""
    return request.param


@pytest.fixture
def harness(request, contract_provider):
    """The harness of the provider under test: see `integrations_core.contract.harness`."""
    return harness_or_skip(request, contract_provider,
                           strict=_option(request.config, "contract_require_harness", False))


def harness_or_skip(request, provider: str, *, strict: bool = False):
    """`provider`'s harness; a provider without one is skipped with how to declare one (failed if `strict`), and
    one that is not registered fails, naming the plugins that failed to load."""
    from integrations_core import registry

    from .harness import NoHarness, harness_for

    if provider not in registry.providers():
        failed = [f"{f.name} ({f.target}): {f.error}" for f in registry.failed_plugins()]
        pytest.fail(f"provider {provider!r} is not registered: install its distribution (`pip install -e .` in the "
                    f"plugin's directory) so its `integrations.plugins` entry point is seen. Registered: "
                    f"{', '.join(registry.providers()) or 'none'}. Failed to load: {'; '.join(failed) or 'none'}.",
                    pytrace=False)
    try:
        return harness_for(provider, request)
    except NoHarness as exc:
        if strict:
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture
def supplier(db):
    from .factories import supplier

    return supplier()


class Worker:
    """Runs the queued jobs: a burst of the service's RQ worker when jobs go through Redis; in-process (no
    REDIS_URL) every job already ran when it was queued, so there is nothing to do."""

    queues = ("pushes", "bulk", "maintenance")

    def run(self) -> int:
        from django.conf import settings

        if not settings.INTEGRATIONS_ASYNC_JOBS:
            return 0
        from django_rq import get_worker

        from integrations_core.worker import IntegrationsWorker

        ran = []

        class CountingWorker(IntegrationsWorker):
            def execute_job(self, job, queue):
                ran.append(job.id)
                return super().execute_job(job, queue)

            def subscribe(self):
                # No command channel: a burst here takes no `rq` commands (stop-job, shutdown), and RQ's pubsub
                # thread, stopped before it is first scheduled (a quick burst), sets itself running again in
                # run(), so the worker's teardown waits out its 1 s join (redis-py's PubSubWorkerThread).
                pass

        get_worker(*self.queues, worker_class=CountingWorker).work(burst=True, with_scheduler=False)
        return len(ran)


@pytest.fixture
def worker():
    return Worker()


@pytest.fixture(autouse=True)
def contract_environment(settings):
    """Retries and coalesced pushes with no wait, so one burst of the worker runs them; an empty Redis
    database (REDIS_URL must name one of the suite's own) when jobs go through RQ."""
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 0
    settings.INTEGRATIONS_MAX_ATTEMPTS = 3
    settings.INTEGRATIONS_COALESCE_SECONDS = 0
    if settings.INTEGRATIONS_ASYNC_JOBS:
        import django_rq

        django_rq.get_connection("pushes").flushdb()
    yield


# What a conftest.py imports to use the suite without loading this module as a plugin.
__all__ = ["contract_environment", "contract_provider", "harness", "pytest_generate_tests", "supplier", "worker"]
