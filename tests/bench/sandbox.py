"""Benchmark: how long one bare SDK ``create_invoices`` takes against the sandbox.

    python -m tests.bench.sandbox [N]

prints ``{"n", "median_ms", "p95_ms", "mean_ms", "min_ms", "max_ms"}``. A benchmark, not a test.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def _sdk_client(sandbox, tokens):
    from xero_python.accounting import AccountingApi
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token, TokenApi

    TokenApi.refresh_token_url = sandbox.token_url
    TokenApi.revoke_token_url = sandbox.revocation_url
    store = {"token": {"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                       "scope": tokens["scope"].split(), "expires_in": tokens["expires_in"],
                       "token_type": tokens["token_type"], "expires_at": time.time() + tokens["expires_in"]}}
    cfg = Configuration()
    cfg.oauth2_token = OAuth2Token(client_id=sandbox.client_id, client_secret=sandbox.client_secret)
    api = ApiClient(cfg, pool_threads=1, oauth2_token_getter=lambda: store["token"],
                    oauth2_token_saver=lambda t: store.__setitem__("token", t))
    return AccountingApi(api, base_url=sandbox.accounting_url)


def bench_bare_create(n: int = 200) -> dict:
    """Start a sandbox, create ``n`` invoices one by one through the real SDK; timing stats in ms."""
    from xero_python.accounting import Contact, Invoice, Invoices, LineAmountTypes, LineItem

    from xero_plugin.sandbox.runtime import XeroSandbox
    from xero_plugin.sandbox.seed import TENANT_NZ

    sandbox = XeroSandbox().start()
    try:
        sandbox.control.relax_limits()
        acc = _sdk_client(sandbox, sandbox.control.issue_tokens([TENANT_NZ]))
        timings = []
        for i in range(n + 5):
            inv = Invoice(type="ACCREC", contact=Contact(name="Acme Ltd"), invoice_number="BENCH-%05d" % i,
                          status="AUTHORISED", line_amount_types=LineAmountTypes.EXCLUSIVE,
                          line_items=[LineItem(description="Widget", quantity=2, unit_amount=10.5,
                                               account_code="200", tax_type="OUTPUT2")])
            started = time.perf_counter()
            acc.create_invoices(TENANT_NZ, Invoices(invoices=[inv]), summarize_errors=False)
            if i >= 5:  # warm-up (connection set-up, imports)
                timings.append((time.perf_counter() - started) * 1000)
    finally:
        sandbox.stop()
    timings.sort()
    return {"n": n, "median_ms": round(statistics.median(timings), 3),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 3), "mean_ms": round(statistics.fmean(timings), 3),
            "min_ms": round(timings[0], 3), "max_ms": round(timings[-1], 3)}


if __name__ == "__main__":
    print(json.dumps(bench_bare_create(int(sys.argv[1]) if len(sys.argv) > 1 else 200)))
