"""Re-sync runs: one active per supplier (held by the database), and a run whose worker died is failed by
the sweep so the supplier can start another."""

import datetime as dt

import pytest
from django.utils import timezone

from integrations_core.errors import ActionNotAllowed
from integrations_core.models import ResyncRun, ResyncRunState
from integrations_core.runs import resync_run_execute, resync_run_start, resync_runs_sweep
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


def test_one_active_run_per_supplier_then_the_sweep_frees_a_dead_one(supplier, netsuite):
    invoice = make_invoice(supplier)
    first = resync_run_start(connection=netsuite, invoice_ids=[invoice.pk])
    with pytest.raises(ActionNotAllowed, match=f"run {first.pk}"):
        resync_run_start(connection=netsuite, invoice_ids=[invoice.pk])
    ResyncRun.objects.filter(pk=first.pk).update(state=ResyncRunState.RUNNING,
                                                 started_at=timezone.now() - dt.timedelta(hours=1))
    assert resync_runs_sweep() == 0  # still within any job's time
    assert resync_runs_sweep(now=timezone.now() + dt.timedelta(hours=2)) == 1
    first.refresh_from_db()
    assert first.state == ResyncRunState.FAILED and "worker" in first.error
    assert resync_run_start(connection=netsuite, invoice_ids=[invoice.pk]).state == ResyncRunState.QUEUED


def test_a_run_is_executed_once(supplier, netsuite):
    invoice = make_invoice(supplier)
    run = resync_run_start(connection=netsuite, invoice_ids=[invoice.pk])
    done = resync_run_execute(run_id=run.pk)
    assert done.state == ResyncRunState.DONE and done.done == 1
    assert resync_run_execute(run_id=run.pk) is None  # a second delivery of the job changes nothing
