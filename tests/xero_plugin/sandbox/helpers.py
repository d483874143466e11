"""Builders shared by the sandbox tests."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys

from xero_python.accounting import Contact, Invoice, Invoices, LineAmountTypes, LineItem

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def invoice(number=None, account="200", tax="OUTPUT2", status="AUTHORISED", contact="Acme Ltd", amount=10.5,
            quantity=2, date=dt.date(2024, 5, 1), due_date=dt.date(2024, 5, 31), **extra):
    """An SDK Invoice model with one line (``date=None`` leaves the Date to Xero)."""
    return Invoice(type="ACCREC", contact=Contact(name=contact), invoice_number=number, status=status,
                   line_items=[LineItem(description="Widget", quantity=quantity, unit_amount=amount,
                                        account_code=account, tax_type=tax)],
                   date=date, due_date=due_date, line_amount_types=LineAmountTypes.EXCLUSIVE, **extra)


def batch(*invoices):
    return Invoices(invoices=list(invoices))


def messages(element):
    """Validation messages of a rendered (dict) or SDK element."""
    errors = element["ValidationErrors"] if isinstance(element, dict) else element.validation_errors
    return [e["Message"] if isinstance(e, dict) else e.message for e in (errors or [])]


def describe(*args, env=None):
    """Start ``python -m xero_plugin.sandbox`` and return what it prints about itself."""
    proc = subprocess.Popen([sys.executable, "-m", "xero_plugin.sandbox", "--port", "0", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
        return json.loads("".join(lines))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
