"""Pushing invoices to Xero: one (the engine's push) or up to 50 in a call (the manual re-sync).

Exactly once: invoices are sent with POST /Invoices, which Xero upserts by InvoiceID (sent once we know
it, so a renumbered invoice updates its Xero invoice) or else by ACCREC InvoiceNumber, with an
Idempotency-Key per (connection, invoice, version). A retry after a timeout that Xero had already
committed therefore updates the same invoice (or replays the first answer) and never makes a second;
a cancel or a renumber whose invoice's id we never learned finds it by its numbers (`previous_numbers`).
"""

from __future__ import annotations

import datetime as dt
import time

from xero_python.accounting import Account, Invoice as XeroInvoice, Invoices, Payment, Payments

from integrations_core.errors import ClassifiedError, PushError
from integrations_core.hookspecs import PushResult
from integrations_core.models import Connection, Invoice, InvoiceStatus, InvoiceSync

from . import limits, preflight
from .client import XeroClient, client_for, timeout
from .errors import classify_exception, classify_failure, classify_messages, status_decides
from .tokens import fresh_token
from .mapping import idempotency_key, to_xero

BATCH = 50
LOCKED_STATUSES = {"PAID"}
GONE_STATUSES = {"VOIDED", "DELETED"}


def _status(value) -> str:
    return str(getattr(value, "value", value) or "")


def _element_error(client: XeroClient, element: XeroInvoice, connection: Connection,
                   remote_id: str) -> ClassifiedError | None:
    if not element.has_errors and _status(element.status_attribute_string) != "ERROR":
        return None
    messages = [e.message for e in (element.validation_errors or []) if getattr(e, "message", None)]
    remote_status = _remote_status(client, connection, remote_id) if status_decides(messages) else None
    error = classify_messages(messages, element=element, remote_status=remote_status)
    if error.category.value == "invalid_account_or_tax":
        preflight.forget(connection)  # Xero knows better than our cached chart
    return error


def _known_id(element: XeroInvoice) -> str:
    """The InvoiceID Xero echoed, unless it is the all-zero id it gives an invoice it did not find."""
    value = str(element.invoice_id or "")
    return "" if not value.strip("0-") else value


def _remote_status(client: XeroClient, connection: Connection, remote_id: str) -> str | None:
    """The status of a Xero invoice that refused a change (voided, deleted or paid there): one read, made only
    for that refusal. None when it cannot be read."""
    if not remote_id:
        return None
    try:
        data, _, _ = _call(client, connection, "get_invoice", remote_id)
    except Exception:  # the refusal stands as plain validation; the read is only to explain it
        return None
    found = data.invoices or []
    return _status(found[0].status) if found else None


def _call(client: XeroClient, connection: Connection, method: str, *args, **kwargs):
    """One Accounting API call within the organisation's budget; a TokenExpired 401 refreshes and retries once."""
    limits.spend(connection.tenant_id)
    api = getattr(client.accounting, method)
    try:
        data, status, headers = api(connection.tenant_id, *args, _return_http_data_only=False,
                                    _request_timeout=timeout(), **kwargs)
    except Exception as exc:
        if getattr(getattr(exc, "http_resp", None), "status", None) == 401 and b"TokenExpired" in (
                getattr(exc, "body", b"") or b""):
            client.token = dict(fresh_token(connection, force=True))
            limits.spend(connection.tenant_id)
            data, status, headers = api(connection.tenant_id, *args, _return_http_data_only=False,
                                        _request_timeout=timeout(), **kwargs)
        else:
            raise
    limits.record_remaining(connection.tenant_id, headers)
    return data, status, headers


def _pay(client: XeroClient, connection: Connection, pairs: list[tuple[Invoice, XeroInvoice]],
         generation: str) -> dict[str, XeroInvoice | ClassifiedError]:
    """Record the payment of paid orders, in one call. Returns, by Xero invoice id, the payment Xero made or
    the refusal of it (a payment dated in a locked period, say)."""
    account = (connection.settings or {}).get("payment_account_code", "090")
    payments = [
        Payment(invoice=XeroInvoice(invoice_id=remote.invoice_id), account=Account(code=account),
                amount=float(remote.amount_due), date=(ours.paid_at or dt.datetime.now(dt.timezone.utc)).date(),
                reference=ours.order_reference or None)
        for ours, remote in pairs
    ]
    key = idempotency_key(connection, pairs[0][0], f"pay-{generation}-" + ",".join(str(o.pk) for o, _ in pairs))
    data, _, _ = _call(client, connection, "create_payments", Payments(payments=payments), summarize_errors=False,
                       idempotency_key=key)
    answers: dict[str, XeroInvoice | ClassifiedError] = {}
    for (_, remote), payment in zip(pairs, data.payments or []):
        if getattr(payment, "has_validation_errors", False) or _status(payment.status_attribute_string) == "ERROR":
            messages = [e.message for e in (payment.validation_errors or []) if getattr(e, "message", None)]
            answers[str(remote.invoice_id)] = classify_messages(messages, element=remote)
        else:
            answers[str(remote.invoice_id)] = payment
    return answers


def push_one(connection: Connection, invoice: Invoice, sync: InvoiceSync) -> PushResult:
    """The engine's push of one invoice: pre-flight, upsert, payment when paid, void when cancelled."""
    client = client_for(connection)
    if invoice.status == InvoiceStatus.VOID:
        return _void(client, connection, invoice, sync)
    preflight.check(connection, invoice, client)
    remote_id = sync.remote_id or _id_under_earlier_number(client, connection, invoice)
    [outcome] = _upsert(client, connection, [invoice], [remote_id], [sync.attempts])
    if isinstance(outcome, ClassifiedError):
        raise PushError(outcome)
    return outcome


def _find_by_number(client, connection, numbers: list[str]) -> XeroInvoice | None:
    """The organisation's ACCREC invoice under one of these numbers (one call), or None. A live one comes
    first, then the number latest in the list."""
    data, _, _ = _call(client, connection, "get_invoices", invoice_numbers=numbers)
    rank = {number.casefold(): index for index, number in enumerate(numbers)}
    found = [i for i in (data.invoices or []) if _status(i.type) == "ACCREC"
             and (i.invoice_number or "").casefold() in rank]
    return min(found, key=lambda i: (_status(i.status) in GONE_STATUSES, -rank[i.invoice_number.casefold()]),
               default=None)


def _earlier_numbers(invoice: Invoice) -> list[str]:
    """The numbers a renumbered invoice had before, less those another of the supplier's invoices has now."""
    earlier = [n for n in invoice.previous_numbers if n.casefold() != invoice.number.casefold()]
    if not earlier:
        return []
    taken = {n.casefold() for n in Invoice.objects.filter(supplier_id=invoice.supplier_id, number__in=earlier)
             .exclude(pk=invoice.pk).values_list("number", flat=True)}
    return [n for n in earlier if n.casefold() not in taken]


def _find_own(client, connection, invoice: Invoice, numbers: list[str]) -> XeroInvoice | None:
    """As `_find_by_number`, but never a Xero invoice that another of our syncs holds."""
    found = _find_by_number(client, connection, numbers) if numbers else None
    if found is not None and InvoiceSync.objects.filter(connection=connection, remote_id=str(found.invoice_id)) \
            .exclude(invoice=invoice).exists():
        return None
    return found


def _id_under_earlier_number(client, connection, invoice: Invoice) -> str:
    """The Xero id of a renumbered invoice that Xero may hold under a number it had before (a push whose
    answer was lost, then the renumber), so that the push updates it instead of making a second invoice.
    One call, made only for a renumbered invoice whose Xero id we do not know."""
    found = _find_own(client, connection, invoice, _earlier_numbers(invoice))
    return "" if found is None or _status(found.status) in GONE_STATUSES else str(found.invoice_id)


def _void(client, connection, invoice, sync) -> PushResult:
    remote_id = sync.remote_id
    if not remote_id:
        # Never told its id (the first push's answer was lost, say): Xero may hold it all the same.
        found = _find_own(client, connection, invoice, [*_earlier_numbers(invoice), invoice.number])
        if found is None:
            return PushResult(remote_id="", remote_status="VOIDED", action="unchanged")
        remote_id = str(found.invoice_id)
        if _status(found.status) in GONE_STATUSES:
            return PushResult(remote_id=remote_id, remote_status=_status(found.status), action="unchanged")
    data, status, headers = _call(client, connection, "update_invoice", remote_id,
                                  Invoices(invoices=[XeroInvoice(invoice_id=remote_id, status="VOIDED")]),
                                  idempotency_key=idempotency_key(connection, invoice, f"void-{sync.attempts}"))
    remote = data.invoices[0]
    return PushResult(remote_id=str(remote.invoice_id), remote_status=_status(remote.status), http_status=status,
                      request_id=headers.get("Xero-Correlation-Id", ""), action="voided")


def _upsert(client: XeroClient, connection: Connection, invoices: list[Invoice], remote_ids: list[str],
            tries: list[int]) -> list[PushResult | ClassifiedError]:
    """One POST /Invoices for up to 50 invoices (summarizeErrors=false), then one payment call for the paid.
    An invoice whose Xero id is known is sent with it: Xero updates that one, whatever its number now is.
    `tries` are the syncs' answered failures: a push after one is a new request, not a replay (below)."""
    # Xero replays a key's first answer, errors included, for minutes: a retry after a lost answer must replay,
    # but a push after an answered refusal (the lock date since moved, the code unarchived) must be asked anew.
    # The body differs once the Xero id is known, so the key does too (Xero refuses a key reused on another body).
    generation = ",".join(f"{i.pk}.{i.version}.{r}.{t}" for i, r, t in zip(invoices, remote_ids, tries))
    key = idempotency_key(connection, invoices[0], "upsert-" + generation)
    body = Invoices(invoices=[to_xero(i, remote_id=r) for i, r in zip(invoices, remote_ids)])
    data, status, headers = _call(client, connection, "update_or_create_invoices", body, summarize_errors=False,
                                  unitdp=4, idempotency_key=key)
    request_id = headers.get("Xero-Correlation-Id", "")
    elements = data.invoices or []
    outcomes: list[PushResult | ClassifiedError] = []
    to_pay = []
    for ours, remote, remote_id in zip(invoices, elements, remote_ids):
        error = _element_error(client, remote, connection, remote_id or _known_id(remote))
        if error is not None:
            outcomes.append(error)
            continue
        if ours.status == InvoiceStatus.PAID and _status(remote.status) == "AUTHORISED" and (remote.amount_due or 0) > 0:
            to_pay.append((ours, remote))
        outcomes.append(PushResult(remote_id=str(remote.invoice_id), remote_status=_status(remote.status),
                                   locked=_status(remote.status) in LOCKED_STATUSES, http_status=status,
                                   request_id=request_id, action="upserted"))
    if to_pay:
        paid = _pay(client, connection, to_pay, generation)
        for index, result in enumerate(outcomes):
            answer = paid.get(result.remote_id) if isinstance(result, PushResult) else None
            if isinstance(answer, ClassifiedError):
                outcomes[index] = answer  # the invoice is in Xero, its payment is not: the sync says why
            elif answer is not None:
                outcomes[index] = PushResult(remote_id=result.remote_id, remote_status="PAID", locked=True,
                                             http_status=status, request_id=request_id, action="paid")
    return outcomes


def _upsert_within_budget(client, connection, invoices, remote_ids, tries, max_wait: float = 3600.0):
    """Bulk work waits for the organisation's budget instead of failing: it is a long job by nature."""
    waited = 0.0
    while True:
        try:
            return _upsert(client, connection, invoices, remote_ids, tries)
        except Exception as exc:
            classified = classify_failure(exc)
            wait = classified.retry_after or 0
            if classified.category.value != "rate_limited" or waited + wait > max_wait:
                raise
        time.sleep(wait)
        waited += wait


def push_many(connection: Connection, invoices: list[Invoice],
              syncs: list[InvoiceSync]) -> list[PushResult | ClassifiedError]:
    """Push many invoices: pre-flight refusals without a call, the rest 50 to a call. One entry per invoice.
    `syncs` (one per invoice, on this connection) give the InvoiceIDs known: those invoices are sent with
    theirs, so a renumbered one updates its Xero invoice."""
    client = client_for(connection)
    known = [sync.remote_id for sync in syncs]
    outcomes: list[PushResult | ClassifiedError | None] = [None] * len(invoices)
    pending = []
    for index, invoice in enumerate(invoices):
        try:
            preflight.check(connection, invoice, client)
            known[index] = known[index] or _id_under_earlier_number(client, connection, invoice)
        except PushError as refused:
            outcomes[index] = refused.classified
            continue
        except Exception as exc:
            outcomes[index] = classify_exception(exc)
            continue
        pending.append(index)
    for start in range(0, len(pending), BATCH):
        chunk = pending[start:start + BATCH]
        try:
            results = _upsert_within_budget(client, connection, [invoices[i] for i in chunk],
                                            [known[i] for i in chunk], [syncs[i].attempts for i in chunk])
        except PushError as error:
            results = [error.classified] * len(chunk)
        except Exception as exc:
            results = [classify_exception(exc)] * len(chunk)
        for index, result in zip(chunk, results):
            outcomes[index] = result
    return outcomes  # type: ignore[return-value]
