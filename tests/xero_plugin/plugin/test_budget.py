"""Xero's own count of what is left of an organisation's budget, kept from its answers for the manual
re-sync's estimate, written at most once a second per organisation and process."""

import pytest

from tests.factories import ProductFactory, make_invoice
from xero_plugin import limits
from integrations_core.bulk import estimate

pytestmark = pytest.mark.django_db


def test_xero_remaining_budget_is_kept_from_its_answers_for_the_estimate(xero, xero_conn, supplier, worker,
                                                                         monkeypatch):
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    monkeypatch.setattr(limits, "_recorded_at", {})
    assert estimate(xero_conn, 120).minute_remaining is None  # nothing heard from Xero yet

    monkeypatch.setattr(limits, "RECORD_EVERY", 0.0)  # a first push reads the chart and currencies too
    make_invoice(supplier, product=product)
    worker.run()
    after_first = limits.remaining(xero_conn.tenant_id)
    assert after_first["minute"] is not None and after_first["minute"] < 60 and after_first["day"] < 5000

    monkeypatch.setattr(limits, "RECORD_EVERY", 3600.0)  # the next answer comes within the interval
    make_invoice(supplier, product=product)
    worker.run()
    assert limits.remaining(xero_conn.tenant_id) == after_first  # not written again

    monkeypatch.setattr(limits, "RECORD_EVERY", 0.0)
    make_invoice(supplier, product=product)
    worker.run()
    latest = limits.remaining(xero_conn.tenant_id)
    assert latest["minute"] == after_first["minute"] - 2
    planned = estimate(xero_conn, 120)
    assert (planned.calls, planned.minute_remaining, planned.day_remaining) == (3, latest["minute"], latest["day"])
