"""`python manage.py demo`: the help article's story, end to end, against a local Xero started in-process,
on SQLite with in-process jobs. Each step says what was expected and what happened; exit 1 if any
step did not behave."""

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Play the help article's story against a local Xero (no services needed); exit 1 if a step misbehaves."

    def handle(self, *args, **options):
        if not os.environ.get("DEMO_CHILD"):
            return self._in_child()
        self.failures = 0
        self._story()
        if self.failures:
            self.stderr.write(f"{self.failures} step(s) did not behave as expected.")
            sys.exit(1)
        self.stdout.write("Every step behaved as the help article says.")

    def _in_child(self):
        """Run again with a throw-away SQLite database and no Redis, whatever this shell has set."""
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
            env.update(DEMO_CHILD="1", DATABASE_URL=f"sqlite:///{tmp}/demo.sqlite3", LOG_LEVEL="ERROR")
            code = subprocess.call([sys.executable, "manage.py", "demo"], cwd=settings.BASE_DIR, env=env)
        sys.exit(code)

    def step(self, step: str, expected: str, actual, ok: bool) -> None:
        mark = "ok " if ok else "NOT"
        self.failures += 0 if ok else 1
        self.stdout.write(f"[{mark}] {step}\n      expected: {expected}\n      happened: {actual}")

    def _story(self):
        from integrations_core.connections import connection_finish, connection_start
        from integrations_core.invoices import LineInput, invoice_generate, invoice_mark_paid, invoice_update
        from integrations_core.models import Connection, Customer, InvoiceSync, Product, Supplier
        from integrations_core.selectors import connection_backlog
        from integrations_core.bulk import resync as manual_resync, select_invoices
        from xero_plugin.sandbox import TENANT_NZ, XeroSandbox

        call_command("migrate", verbosity=0)
        sandbox = XeroSandbox().start()
        for name, value in (("XERO_CLIENT_ID", sandbox.client_id), ("XERO_CLIENT_SECRET", sandbox.client_secret),
                            ("XERO_AUTHORIZE_URL", sandbox.authorize_url), ("XERO_TOKEN_URL", sandbox.token_url),
                            ("XERO_REVOCATION_URL", sandbox.revocation_url), ("XERO_IDENTITY_URL", sandbox.identity_url),
                            ("XERO_ACCOUNTING_URL", sandbox.accounting_url)):
            setattr(settings, name, value)
        redirect = "http://127.0.0.1:8000/xero/callback/"
        sandbox.control.auto_approve([TENANT_NZ])
        supplier = Supplier.objects.create(name="Demo Foods")
        Customer.objects.create(supplier=supplier, name="The Corner Cafe")
        bread = Product.objects.create(supplier=supplier, sku="BREAD", name="Sourdough loaf", sales_account_code="200",
                                       expense_account_code="310", tax_type="OUTPUT2")

        def connect():
            start = connection_start(supplier=supplier, provider="xero", redirect_uri=redirect)
            back = requests.get(start.authorize_url, allow_redirects=False, timeout=5).headers["Location"]
            return connection_finish(supplier=supplier, provider="xero", redirect_uri=redirect,
                                     callback_params=dict(parse_qsl(urlsplit(back).query)), session=start.session)[0]

        def generate(number, product=bread, quantity=2):
            return invoice_generate(supplier=supplier, customer="The Corner Cafe", number=number,
                                    issue_date=dt.date.today(), currency="NZD", order_reference=f"ORD-{number}",
                                    lines=[LineInput(description=product.name, quantity=quantity,
                                                     unit_price=Decimal("6.50"), product=product)])

        def in_xero(number):
            return sandbox.control.invoices(TENANT_NZ, invoice_number=number)

        def sync_of(invoice):
            return InvoiceSync.objects.get(invoice=invoice)

        try:
            connection = connect()
            self.step("Connect Xero", "the connection shows Connected", connection.state, connection.is_connected)

            first = generate("INV-001")
            self.step("An invoice is generated", "it appears in Xero", f"{len(in_xero('INV-001'))} copy in Xero",
                       len(in_xero("INV-001")) == 1)

            # 61 days pass without a sync: Xero's refresh token lapses (60 days idle).
            sandbox.control.advance_clock(61 * 86400)
            Connection.objects.filter(pk=connection.pk).update(credentials={**connection.credentials, "token": {
                **connection.credentials["token"], "expires_at": 0}})
            first, _ = invoice_update(invoice=first, lines=[LineInput(description=bread.name, quantity=3,
                                                                      unit_price=Decimal("6.50"), product=bread)])
            connection.refresh_from_db()
            self.step("The token expires; the next trigger fails", "Xero connection expired: reconnect in Settings > Add-ons",
                       sync_of(first).error_message,
                       not connection.is_connected and sync_of(first).error_message.startswith(
                           "Xero connection expired: reconnect in Settings > Add-ons"))
            missed = generate("INV-002")

            connection = connect()
            self.step("Reconnect", "Connected again, nothing re-synced by itself",
                       f"{connection.state}; INV-002 copies in Xero: {len(in_xero('INV-002'))}",
                       connection.is_connected and not in_xero("INV-002"))
            backlog = [s.invoice.number for s in connection_backlog(connection=connection)]
            self.step("The invoices are still missing", "INV-001 and INV-002 listed in the backlog", backlog,
                       sorted(backlog) == ["INV-001", "INV-002"])

            outcomes = manual_resync(connection=connection, invoices=select_invoices(connection=connection, backlog=True))
            self.step("Manual re-sync of the backlog", "both appear in Xero, INV-001 at its latest quantity",
                       [(o.number, o.result) for o in outcomes],
                       len(in_xero("INV-002")) == 1 and float(in_xero("INV-001")[0]["SubTotal"]) == 19.5)

            invoice_mark_paid(invoice=missed)
            self.step("The order is marked as paid", "the payment is recorded: PAID in Xero",
                       in_xero("INV-002")[0]["Status"], in_xero("INV-002")[0]["Status"] == "PAID")

            missed.refresh_from_db()
            invoice_update(invoice=missed, order_reference="changed after payment")
            sync = sync_of(missed)
            self.step("A later update", "Invoice is paid in Xero and locked: manage changes directly in Xero",
                       f"{sync.state}: {sync.error_message}", sync.state == "locked")

            bad = Product.objects.create(supplier=supplier, sku="MILK", name="Milk 2L", sales_account_code="999",
                                         expense_account_code="310", tax_type="OUTPUT2")
            third = generate("INV-003", product=bad)
            message = sync_of(third).error_message
            self.step("A bad account code", "Account/Tax Rate must be Valid (naming the line and the code)", message,
                       message.startswith("Account/Tax Rate must be Valid") and "'999'" in message)

            bad.sales_account_code = "200"
            bad.save()
            outcomes = manual_resync(connection=connection, invoices=select_invoices(connection=connection,
                                                                                      numbers=["INV-003"]))
            sync = sync_of(third)
            self.step("Fix the code and re-sync", "the error clears and the invoice appears in Xero",
                       f"{sync.state}, {len(in_xero('INV-003'))} copy", sync.state == "synced" and len(in_xero("INV-003")) == 1)
        finally:
            time.sleep(0.05)
            sandbox.stop()
