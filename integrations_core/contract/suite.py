"""The plugin contract suite: what every accounting plugin must do, run against each registered provider.

The tests take `harness` (parametrized over the providers), `supplier` and `worker` from
`integrations_core.contract.pytest_plugin`. Run them with `python -m integrations_core.contract KEY`, or collect
them into a test module of your own with ``from integrations_core.contract.suite import *``.
"""

import pytest

from integrations_core import registry
from integrations_core.errors import ClassifiedError, ErrorCategory
from integrations_core.hookspecs import Budget, ConnectStart, CredentialsForm, PushResult
from integrations_core.invoices import invoice_update
from integrations_core.models import Connection, InvoiceSync, SyncState

from .factories import invoice as make_invoice
from .factories import line


def _push(connection, invoice):
    invoice.refresh_from_db()
    sync, _ = InvoiceSync.objects.get_or_create(invoice=invoice, connection=connection)
    return registry.hook().push_invoice(connection=connection, invoice=invoice, sync=sync), sync


def _remember(sync, result):
    sync.remote_id, sync.remote_status, sync.synced_version = result.remote_id, result.remote_status, 1
    sync.save()


def test_contract_provider_info_is_well_formed(harness):
    info = registry.provider(harness.provider)
    assert info.key == harness.provider and info.key.islower() and info.name
    assert info.concurrency is None or info.concurrency >= 1


def test_contract_supports_resync_answers_for_its_own_provider(harness):
    answer = registry.hook().supports_resync(connection=Connection(provider=harness.provider))
    assert answer in (True, False)
    if answer is False:
        assert registry.provider(harness.provider).manual_resync, "refusing Resync needs a manual re-sync to name"


@pytest.mark.django_db
def test_contract_hooks_ignore_another_providers_connection(harness, supplier):
    other = Connection(provider="no-such-provider", supplier=supplier)
    for impl in registry.get_plugin_manager().hook.push_invoice.get_hookimpls():
        if impl.plugin.provider_info().key == harness.provider:
            assert impl.plugin.push_invoice(connection=other, invoice=None, sync=None) is None
            assert impl.plugin.classify_error(connection=other, error=ValueError()) is None
            assert impl.plugin.supports_resync(connection=other) is None


@pytest.mark.django_db
def test_contract_connect_starts_with_an_authorize_url(harness, supplier):
    from integrations_core.connections import connection_start

    start = connection_start(supplier=supplier, provider=harness.provider, redirect_uri="http://127.0.0.1/cb")
    if isinstance(start, CredentialsForm):  # typed-in credentials instead of an OAuth redirect (hookspecs.connect)
        assert start.fields and all(field.key for field in start.fields)
        return
    assert isinstance(start, ConnectStart) and start.authorize_url.startswith("http")


@pytest.mark.django_db(transaction=True)
def test_contract_push_creates_once_then_updates_in_place(harness, supplier):
    connection = harness.connected(supplier)
    product = harness.product(supplier)
    Connection.objects.filter(pk=connection.pk).update(state="disconnected")  # push by hand, not by trigger
    connection.refresh_from_db()
    invoice = make_invoice(supplier, lines=[line(product, quantity="2", unit_price="10")])

    result, sync = _push(connection, invoice)
    assert isinstance(result, PushResult) and result.remote_id
    _remember(sync, result)
    again, _ = _push(connection, invoice)  # a repeated push makes no second copy
    assert again.remote_id == result.remote_id
    assert len(harness.remote_copies(connection, invoice.number)) == 1

    invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity="3", unit_price="10")])
    updated, _ = _push(connection, invoice)
    assert updated.remote_id == result.remote_id
    [copy] = harness.remote_copies(connection, invoice.number)
    assert copy["total"] == 30


@pytest.mark.django_db
def test_contract_classify_error_never_raises(harness, supplier):
    connection = Connection(provider=harness.provider, supplier=supplier)
    for error in (ValueError("odd"), TimeoutError("slow"), RuntimeError(), KeyError("x"), Exception("\x00")):
        classified = registry.hook().classify_error(connection=connection, error=error)
        assert isinstance(classified, ClassifiedError)
        assert isinstance(classified.category, ErrorCategory) and classified.message and classified.fix


@pytest.mark.django_db(transaction=True)
def test_contract_trigger_to_synced_through_the_engine(harness, supplier, worker):
    connection = harness.connected(supplier)
    invoice = make_invoice(supplier, lines=[line(harness.product(supplier))])

    worker.run()

    sync = InvoiceSync.objects.get(invoice=invoice, connection=connection)
    assert (sync.state, sync.synced_version) == (SyncState.SYNCED, 1), sync.error_message
    assert len(harness.remote_copies(connection, invoice.number)) == 1


@pytest.mark.django_db(transaction=True)
def test_contract_a_resync_run_pushes_each_invoice_once_by_the_batch_path_or_one_by_one(harness, supplier, worker):
    """The engine's one re-sync loop: through `push_invoices` when the plugin has it, else each `push_invoice`."""
    from integrations_core.bulk import resync

    connection = harness.connected(supplier)
    product = harness.product(supplier)
    Connection.objects.filter(pk=connection.pk).update(state="disconnected")  # nothing pushes by trigger
    invoices = [make_invoice(supplier, lines=[line(product)]) for _ in range(3)]
    Connection.objects.filter(pk=connection.pk).update(state="connected")
    connection.refresh_from_db()

    outcomes = resync(connection=connection, invoices=invoices)
    worker.run()  # the one-by-one path queues each push
    again = resync(connection=connection, invoices=invoices)
    worker.run()

    batch = registry.implements(harness.provider, "push_invoices")
    assert [o.result for o in outcomes] == (["created"] * 3 if batch else ["queued"] * 3), outcomes
    assert {o.result for o in again} <= {"updated", "queued"}
    for invoice in invoices:
        assert len(harness.remote_copies(connection, invoice.number)) == 1
        assert InvoiceSync.objects.get(invoice=invoice, connection=connection).state == SyncState.SYNCED


@pytest.mark.django_db
def test_contract_optional_answers_are_of_their_types(harness, supplier):
    """`check_invoice` (a dry run) and `budget` (the estimate) answer None or their type, for their own provider."""
    connection = harness.connected(supplier)
    invoice = make_invoice(supplier, lines=[line(harness.product(supplier))])
    refused = registry.hook().check_invoice(connection=connection, invoice=invoice)
    assert refused is None or isinstance(refused, ClassifiedError)
    budget = registry.hook().budget(connection=connection)
    assert budget is None or isinstance(budget, Budget)
    assert registry.provider(harness.provider).batch_size >= 1


# `from integrations_core.contract.suite import *` brings exactly the tests.
__all__ = [name for name in list(globals()) if name.startswith("test_")]
