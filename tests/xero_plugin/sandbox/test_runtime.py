"""Running the sandbox: as a process, with a state file, and the control read-backs."""

import json
import os
import signal
import subprocess
import sys

import requests

from xero_plugin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URIS, TENANT_NZ, XeroSandbox

from .helpers import batch, describe as _describe, invoice

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_runs_as_a_process_and_prints_its_urls():
    proc = subprocess.Popen([sys.executable, "-m", "xero_plugin.sandbox", "--port", "0", "--clock-scale", "10"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
        info = json.loads("".join(lines))
        assert info["client_id"] == DEFAULT_CLIENT_ID and info["clock_scale"] == 10.0
        assert info["accounting_url"] == info["base_url"] + "/api.xro/2.0"
        assert requests.get(info["base_url"] + "/_sandbox/health").json()["ok"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_process_registers_the_redirect_uris_it_is_given():
    env = dict(os.environ, XERO_REDIRECT_URI="http://127.0.0.1:8123/xero/callback/")
    # make run exports the app's XERO_REDIRECT_URI beside it: registered with the default set.
    assert _describe(env=env)["redirect_uris"] == list(DEFAULT_REDIRECT_URIS) + ["http://127.0.0.1:8123/xero/callback/"]
    given = _describe("--redirect-uri", "https://a.example/cb", "--redirect-uri", "http://localhost:5000/cb", env=env)
    assert given["redirect_uris"] == ["https://a.example/cb", "http://localhost:5000/cb"]


def test_state_file_survives_a_restart(tmp_path, sdk_client):
    path = str(tmp_path / "xero.json")
    first = XeroSandbox(state_file=path).start()
    tokens = first.control.issue_tokens([TENANT_NZ])
    sdk_client(first, tokens).accounting.create_invoices(TENANT_NZ, batch(invoice("S-1")))
    first.stop()
    second = XeroSandbox(state_file=path, redirect_uris=["http://127.0.0.1:8124/xero/callback/"]).start()
    try:
        again = sdk_client(second, tokens).accounting.get_invoice(TENANT_NZ, "S-1").invoices[0]
        assert again.total == first.state.orgs[TENANT_NZ]["invoices"][again.invoice_id]["Total"]
        # This run's redirect URI is registered beside the ones the file remembers (make run on another port).
        assert second.control.redirect_uris() == list(DEFAULT_REDIRECT_URIS) + ["http://127.0.0.1:8124/xero/callback/"]
    finally:
        second.stop()


def test_read_backs(xero_sandbox, xero_api):
    acc = xero_api.accounting
    acc.create_invoices(TENANT_NZ, batch(invoice("R-1"), invoice("R-2")))
    acc.get_invoice(TENANT_NZ, "R-1")
    acc.get_invoice(TENANT_NZ, "R-2")
    control = xero_sandbox.control
    assert control.call_count("GET", "/Invoices/{id}", TENANT_NZ) == 2
    assert control.call_count("PUT", "/Invoices") == 1
    assert [r["path"] for r in control.request_log(limit=1)] == ["/api.xro/2.0/Invoices/R-2"]
    assert control.duplicate_invoice_numbers(TENANT_NZ) == {}
    # Bills (ACCPAY) may share a number; the read-back finds them.
    from xero_python.accounting import Contact, Invoice, LineItem
    bill = lambda: Invoice(type="ACCPAY", contact=Contact(name="Acme Ltd"), invoice_number="B-1",
                           line_items=[LineItem(description="x", quantity=1, unit_amount=5, account_code="400")])
    acc.create_invoices(TENANT_NZ, batch(bill(), bill()))
    assert control.duplicate_invoice_numbers(TENANT_NZ) == {"B-1": 2}
    edited = control.mark_invoice(TENANT_NZ, "R-2", Reference="edited in Xero")
    assert edited["Reference"] == "edited in Xero"
    assert control.mark_invoice(TENANT_NZ, "R-1", "VOIDED")["Status"] == "VOIDED"
    assert {t["tenantId"] for t in control.tenants()} >= {TENANT_NZ}
