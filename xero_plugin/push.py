"""Pushing invoices to Xero: one (the engine's push) or up to 50 in a call (the manual re-sync, and the engine's
waiting live pushes of one organisation taken together).

Exactly once: invoices are sent with POST /Invoices, which Xero upserts by InvoiceID (sent once we know
it, so a renumbered invoice updates its Xero invoice) or else by ACCREC InvoiceNumber, with an
Idempotency-Key per (connection, invoice, version). A retry after a timeout that Xero had already
committed therefore updates the same invoice (or replays the first answer) and never makes a second;
a cancel or a renumber whose invoice's id we never learned finds it by its numbers (`previous_numbers`).
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from xero_python.accounting import Invoice as XeroInvoice, Invoices

from integrations_core.plugin_api import invoice_content
from integrations_core.errors import ClassifiedError, ErrorCategory, PushError
from integrations_core.hookspecs import PushResult
from integrations_core.models import Connection, Invoice, InvoiceStatus, InvoiceSync

from . import attachments, contacts, limits, payments, preflight, settings
from .client import XeroClient, call as _call, client_for
from .errors import classify_exception, classify_failure, classify_messages, status_decides
from .mapping import idempotency_key, text as _status, to_xero

BATCH = 50
LOCKED_STATUSES = {"PAID"}
GONE_STATUSES = {"VOIDED", "DELETED"}


def _element_error(client: XeroClient, element: XeroInvoice, connection: Connection,
                   remote_id: str) -> ClassifiedError | None:
    if not element.has_errors and _status(element.status_attribute_string) != "ERROR":
        return None
    messages = [e.message for e in (element.validation_errors or []) if getattr(e, "message", None)]
    remote_status = _remote_status(client, connection, remote_id) if status_decides(messages) else None
    error = classify_messages(messages, element=element, remote_status=remote_status)
    if error.category.value in ("invalid_account_or_tax", "validation", "contact_archived"):
        preflight.forget(connection)  # Xero knows better than our cached chart and lists
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


def push_one(connection: Connection, invoice: Invoice, sync: InvoiceSync) -> PushResult:
    """The engine's push of one invoice: pre-flight, upsert, payment when paid, void when cancelled."""
    client = client_for(connection)
    if invoice.status == InvoiceStatus.VOID:
        return _void(client, connection, invoice, sync)
    preflight.check(connection, invoice, client, settings.values(connection))
    remote_id = sync.remote_id or _id_under_earlier_number(client, connection, invoice)
    [outcome] = _upsert(client, connection, [invoice], [sync], [remote_id])
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


def _only_paying(connection: Connection, invoice: Invoice, sync: InvoiceSync, remote_id: str, parts: list) -> bool:
    """Whether this push only pays (`parts`, new): Xero holds the invoice with payments of ours on it (it takes no
    edits then) and what it shows has not changed since it was pushed."""
    if not remote_id or not sync.synced_snapshot or not parts:
        return False
    shown = {k: v for k, v in invoice_content(invoice).items() if k != "version"}
    pushed = {k: v for k, v in sync.synced_snapshot.items() if k != "version"}
    return shown == pushed and payments.recorded_in_xero(connection, invoice)


def _upsert(client: XeroClient, connection: Connection, invoices: list[Invoice], syncs: list[InvoiceSync],
            remote_ids: list[str]) -> list[PushResult | ClassifiedError]:
    """As `_send`, but an invoice that only has new payment parts is read (one call for them all) and paid,
    not sent again."""
    owed = payments.unrecorded(connection, invoices)
    paying_only = [i for i, (invoice, sync, remote_id) in enumerate(zip(invoices, syncs, remote_ids))
                   if _only_paying(connection, invoice, sync, remote_id, owed[invoice.pk])]
    if not paying_only:
        return _send(client, connection, invoices, syncs, remote_ids, owed)
    others = [i for i in range(len(invoices)) if i not in paying_only]
    outcomes: list[PushResult | ClassifiedError | None] = [None] * len(invoices)
    if others:
        for index, outcome in zip(others, _send(client, connection, [invoices[i] for i in others],
                                                [syncs[i] for i in others], [remote_ids[i] for i in others], owed)):
            outcomes[index] = outcome
    data, status, headers = _call(client, connection, "get_invoices", i_ds=[remote_ids[i] for i in paying_only])
    found = {str(x.invoice_id): x for x in (data.invoices or [])}
    request_id = headers.get("Xero-Correlation-Id", "")
    elements = [found.get(remote_ids[i]) for i in paying_only]
    generation = ",".join(f"{invoices[i].pk}.{invoices[i].version}.{syncs[i].attempts}" for i in paying_only)
    for index, outcome in zip(paying_only, _settle(client, connection, [invoices[i] for i in paying_only], elements,
                                                   status, request_id, generation, owed)):
        outcomes[index] = outcome
    return outcomes  # type: ignore[return-value]


def _send(client: XeroClient, connection: Connection, invoices: list[Invoice], syncs: list[InvoiceSync],
          remote_ids: list[str], owed: dict[int, list]) -> list[PushResult | ClassifiedError]:
    """One POST /Invoices for up to 50 invoices (summarizeErrors=false), then one payment call for the paid.
    An invoice whose Xero id is known is sent with it: Xero updates that one, whatever its number now is. Each
    retailer goes as its linked contact (found or made on its first push, then kept)."""
    tries = [sync.attempts for sync in syncs]  # answered failures: a push after one is a new request (below)
    # Xero replays a key's first answer, errors included, for minutes: a retry after a lost answer must replay,
    # but a push after an answered refusal (the lock date since moved, the code unarchived) must be asked anew.
    # The body differs once the Xero id is known, so the key does too (Xero refuses a key reused on another body).
    generation = ",".join(f"{i.pk}.{i.version}.{r}.{t}" for i, r, t in zip(invoices, remote_ids, tries))
    key = idempotency_key(connection, invoices[0], "upsert-" + generation)
    chosen = settings.values(connection)
    people = contacts.resolve(client, connection, [i.customer for i in invoices], chosen["contact_match"])
    body = Invoices(invoices=[to_xero(i, settings=chosen, remote_id=r, contact=people[i.customer_id],
                                      remote_status=s.remote_status)
                              for i, s, r in zip(invoices, syncs, remote_ids)])
    data, status, headers = _call(client, connection, "update_or_create_invoices", body, summarize_errors=False,
                                  unitdp=4, idempotency_key=key)
    request_id = headers.get("Xero-Correlation-Id", "")
    elements = list(data.invoices or [])
    errors = [_element_error(client, remote, connection, remote_id or _known_id(remote))
              for remote, remote_id in zip(elements, remote_ids)]
    return _settle(client, connection, invoices, [None if e else r for e, r in zip(errors, elements)], status,
                   request_id, generation, owed, errors, people)


def _settle(client: XeroClient, connection: Connection, invoices: list[Invoice], elements: list, status, request_id,
            generation: str, owed: dict[int, list], errors: list | None = None,
            sent_contacts: dict | None = None) -> list[PushResult | ClassifiedError]:
    """The outcome of each invoice Xero holds now (`elements`; None where it refused, `errors` saying why), once
    its new payment parts (`owed`, by invoice id) are paid (one call for them all). A retailer sent without a
    ContactID (`sent_contacts`, by customer id) is linked to the contact Xero used."""
    chosen = settings.values(connection)
    outcomes: list[PushResult | ClassifiedError] = []
    to_pay = []
    documents = attachments.latest_documents([ours for ours, remote in zip(invoices, elements) if remote is not None])
    for index, (ours, remote) in enumerate(zip(invoices, elements)):
        if remote is None:
            outcomes.append((errors[index] if errors else None) or ClassifiedError.of(
                ErrorCategory.NOT_FOUND, "Xero"))
            continue
        sent = (sent_contacts or {}).get(ours.customer_id)
        if sent is not None and not sent.contact_id:
            contacts.link_echoed(connection, ours.customer, remote)
        attachments.attach(client, connection, ours, str(remote.invoice_id), documents.get(ours.pk))
        parts = owed[ours.pk]
        if parts and _status(remote.status) == "AUTHORISED" and (remote.amount_due or 0) > 0:
            to_pay.append(payments.Paying(ours, remote, parts))
        outcomes.append(PushResult(remote_id=str(remote.invoice_id), remote_status=_status(remote.status),
                                   locked=_status(remote.status) in LOCKED_STATUSES, http_status=status,
                                   request_id=request_id, action="upserted"))
    if to_pay:
        payments.pay(client, connection, to_pay, chosen["payment_account_code"], generation)
        by_id = {str(item.remote.invoice_id): item for item in to_pay}
        for index, result in enumerate(outcomes):
            item = by_id.get(result.remote_id) if isinstance(result, PushResult) else None
            if item is not None and item.refused is not None:
                outcomes[index] = item.refused  # the invoice is in Xero, a payment is not: the sync says why
            elif item is not None and item.due <= 0:
                outcomes[index] = PushResult(remote_id=result.remote_id, remote_status="PAID", locked=True,
                                             http_status=status, request_id=request_id, action="paid")
    return outcomes


def push_many(connection: Connection, invoices: list[Invoice], syncs: list[InvoiceSync], *,
              live: bool = False) -> list[PushResult | ClassifiedError]:
    """Push many invoices: pre-flight refusals without a call, the rest 50 to a call. One entry per invoice.
    `syncs` (one per invoice, on this connection) give the InvoiceIDs known: those invoices are sent with
    theirs, so a renumbered one updates its Xero invoice. Every Xero call made for them is bulk work: it leaves
    the organisation's live share of the minute (XERO_LIVE_SHARE) to the engine's pushes.

    Nothing waits for a budget here: once the organisation's (or the app's) budget refuses a call, that chunk and
    every one after it answer `rate_limited` with the wait, unsent, for the engine to push them when it returns.

    `live`: the engine's live pushes taken together (none void: those go through `push_one`). Each invoice ends
    as `push_one` would end it: the same pre-flight (its currency checked against the organisation's, cached), the
    calls spent from the live minute, and a lost database connection raised for the engine."""
    if live:
        return _push_many(connection, invoices, syncs, live=True)
    with limits.bulk_calls():
        return _push_many(connection, invoices, syncs)


def _push_many(connection: Connection, invoices: list[Invoice], syncs: list[InvoiceSync],
               live: bool = False) -> list[PushResult | ClassifiedError]:
    client = client_for(connection)
    known = [sync.remote_id for sync in syncs]
    chosen = settings.values(connection)
    outcomes: list[PushResult | ClassifiedError | None] = [None] * len(invoices)
    pending = []
    for index, invoice in enumerate(invoices):
        try:
            preflight.check(connection, invoice, client, chosen, currency=live)
            known[index] = known[index] or _id_under_earlier_number(client, connection, invoice)
        except PushError as refused:
            outcomes[index] = refused.classified
            continue
        except Exception as exc:
            _raise_if_ours(exc, live)
            outcomes[index] = classify_exception(exc)
            continue
        pending.append(index)
    refused: ClassifiedError | None = None  # the budget's refusal: what is left is not sent
    for start in range(0, len(pending), BATCH):
        chunk = pending[start:start + BATCH]
        if refused is not None:
            results = [refused] * len(chunk)
        else:
            try:
                results = _upsert(client, connection, [invoices[i] for i in chunk], [syncs[i] for i in chunk],
                                  [known[i] for i in chunk])
            except Exception as exc:
                _raise_if_ours(exc, live)
                error = classify_failure(exc)
                if error.category == ErrorCategory.RATE_LIMITED:
                    refused = error
                results = [error] * len(chunk)
        for index, result in zip(chunk, results):
            outcomes[index] = result
    return outcomes  # type: ignore[return-value]


def _raise_if_ours(exc: Exception, live: bool) -> None:
    """Live pushes leave a lost database connection (ours, not Xero's) to the engine, which retries them as it
    retries `push_one`'s."""
    if live and isinstance(exc, (OperationalError, InterfaceError)):
        raise exc
