"""The storefront's invoice list at scale: 100,000 invoices of one supplier in PostgreSQL (plus another
supplier's, so scoping is real work), timed through the whole API stack (auth, filters, cursor page,
serialisers) at page sizes 25 and 200, with the number of SQL queries per request."""

from __future__ import annotations

import time

from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext

from integrations_core.api_keys import api_key_create
from integrations_core.models import Connection, Supplier

from .environment import percentile
from .seeding import seed_invoices


def invoice_list(*, quick: bool = False) -> dict:
    count = 10_000 if quick else 100_000
    supplier = Supplier.objects.create(name="Bench List Foods")
    other = Supplier.objects.create(name="Bench Other Foods")
    connection = Connection.objects.create(supplier=supplier, provider="xero", state="connected",
                                           tenant_id="bench-tenant", tenant_name="Bench")
    seed_invoices(supplier=supplier, connection=connection, count=count, prefix="L")
    seed_invoices(supplier=other, connection=None, count=count // 10, prefix="O")
    with db.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {api_key_create(supplier=supplier)[1]}")
    figures = {"invoices": count}
    for size in (25, 200):
        figures[f"page_{size}"] = _measure(client, {"page_size": size}, rounds=20 if quick else 60)
    figures["failed_xero_page_25"] = _measure(client, {"page_size": 25, "sync_state": "failed", "provider": "xero"},
                                              rounds=20 if quick else 60)
    return figures


def _measure(client: Client, params: dict, rounds: int) -> dict:
    client.get("/api/v1/invoices/", params)  # warm: the key's last-used stamp, connection, caches
    timings, queries, url, page = [], set(), "/api/v1/invoices/", 0
    for _ in range(rounds):
        with CaptureQueriesContext(db) as captured:
            started = time.perf_counter()
            response = client.get(url, params if page == 0 else None)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
        queries.add(len(captured))
        # Walk a few pages deep, then start over: later pages must cost what the first does.
        following = response.json()["next"]
        url, page = (following, page + 1) if following and page < 4 else ("/api/v1/invoices/", 0)
    return {"p50_ms": round(percentile(timings, 50), 2), "p95_ms": round(percentile(timings, 95), 2),
            "queries": max(queries), "query_counts_seen": sorted(queries)}
