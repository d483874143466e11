"""Fast bulk seeding for benchmarks: many invoices with lines and syncs, written in large batches."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from integrations_core.models import (Connection, Customer, Invoice, InvoiceLine, InvoiceSync, Product, Supplier,
                                      SyncState)

STATES = [SyncState.SYNCED] * 7 + [SyncState.FAILED, SyncState.RETRYING, SyncState.LOCKED]


def seed_invoices(*, supplier: Supplier, connection: Connection | None, count: int, batch: int = 5000,
                  prefix: str = "B", seed: int = 7) -> int:
    """Write `count` invoices of one line each (and a sync per invoice when `connection` is given) with
    bulk inserts, bypassing triggers: the data a long-running supplier has, not new work."""
    rng = random.Random(seed)
    customer, _ = Customer.objects.get_or_create(supplier=supplier, name="Bench Venue")
    product, _ = Product.objects.get_or_create(
        supplier=supplier, sku="BENCH", defaults={"name": "Bench item", "sales_account_code": "200",
                                                  "expense_account_code": "310", "tax_type": "OUTPUT2"})
    start = dt.date(2025, 1, 1)
    written = 0
    while written < count:
        size = min(batch, count - written)
        with transaction.atomic():
            invoices = Invoice.objects.bulk_create([
                Invoice(supplier=supplier, customer=customer, number=f"{prefix}-{written + i:07d}",
                        order_reference=f"ORD-{written + i}", issue_date=start + dt.timedelta(days=(written + i) % 600),
                        currency="AUD", total=Decimal("21.00"), version=1, content_hash=f"bench-{written + i}")
                for i in range(size)
            ])
            InvoiceLine.objects.bulk_create([
                InvoiceLine(invoice=invoice, position=1, product=product, description="Bench item",
                            quantity=Decimal("2"), unit_price=Decimal("10.50"))
                for invoice in invoices
            ])
            if connection is not None:
                syncs = []
                for invoice in invoices:
                    state = rng.choice(STATES)
                    synced = state in (SyncState.SYNCED, SyncState.LOCKED)
                    syncs.append(InvoiceSync(
                        invoice=invoice, connection=connection, state=state, synced_version=1 if synced else None,
                        error_category="transient" if state in (SyncState.FAILED, SyncState.RETRYING) else "",
                        error_message="Sync unsuccessful" if state in (SyncState.FAILED, SyncState.RETRYING) else "",
                    ))
                InvoiceSync.objects.bulk_create(syncs)
        written += size
    return written
