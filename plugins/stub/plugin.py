"""A connector with no real remote: its own store (models.py) plays the remote system.

NetSuite, Unleashed, MYOB Business, MYOB Advanced and Cin7 are instances of it; `startplugin` generates new plugins from the same shape.
It implements the whole contract, so pushes, each failure category, Resync and Mark as Resolved run
end to end without a network.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid

from django.db import transaction

from integrations_core.errors import ClassifiedError, ErrorCategory, InvalidInput, PushError, ServiceError
from integrations_core.hookspecs import (ConnectStart, CredentialsForm, ProviderInfo, PushResult, RemoteInvoice,
                                        RemoteTenant, SettingField, hookimpl)

from . import store
from .models import StubRemoteInvoice


class StubRemoteError(Exception):
    """What the stub remote answers when a fault is injected: a status and a JSON body."""

    def __init__(self, kind: str, status: int, body: dict, retry_after: float | None = None):
        super().__init__(f"{status} {kind}")
        self.kind = kind
        self.status = status
        self.body = body
        self.retry_after = retry_after


_FAULT_STATUS = {"rate_limited": 429, "auth_expired": 401, "not_found": 404, "validation": 400, "unknown": 418,
                 "locked": 400}


class StubPlugin:
    """One stub provider. Every hook answers only for connections of its own `key`.

    `credentials`: the fields the supplier types in to connect (an API key), for a provider without OAuth;
    none means the stub's own consent redirect."""

    def __init__(self, key: str, name: str, credentials: tuple[SettingField, ...] = (), credentials_help: str = ""):
        self.key = key
        self.name = name
        self.credentials = credentials
        self.credentials_help = credentials_help

    def _mine(self, connection) -> bool:
        return connection is not None and connection.provider == self.key

    @hookimpl
    def provider_info(self) -> ProviderInfo:
        return ProviderInfo(key=self.key, name=self.name)

    @hookimpl
    def supports_resync(self, connection):
        return True if self._mine(connection) else None

    @hookimpl
    def connect(self, connection, redirect_uri, callback_params, session):
        if not self._mine(connection):
            return None
        if self.credentials:
            return self._connect_typed(connection, callback_params)
        if callback_params is None:
            state = secrets.token_urlsafe(16)
            sep = "&" if "?" in redirect_uri else "?"
            return ConnectStart(authorize_url=f"{redirect_uri}{sep}code=stub-consent&state={state}",
                                session={"state": state})
        if not session.get("state") or callback_params.get("state") != session.get("state"):
            raise ServiceError("The sign-in could not be verified (state mismatch); start connecting again.",
                               code="oauth_state_mismatch")
        if callback_params.get("error"):
            raise ServiceError(f"{self.name} did not authorise the connection.", code="oauth_denied")
        connection.credentials = {"api_key": secrets.token_urlsafe(24)}
        connection.tenant_id = f"{self.key}-{connection.supplier_id}"
        connection.tenant_name = f"{connection.supplier} ({self.name})"
        return [RemoteTenant(id=connection.tenant_id, name=connection.tenant_name)]

    def _connect_typed(self, connection, typed):
        if typed is None:
            return CredentialsForm(fields=self.credentials, help=self.credentials_help)
        values = {f.key: str(typed.get(f.key, "")).strip() for f in self.credentials}
        missing = {f.key: [f"{f.label} is required."] for f in self.credentials if not values[f.key]}
        if missing:
            raise InvalidInput("Fill in every field to connect.", field_errors=missing)
        # The stub remote refuses a key shorter than a real one: the form says which field is wrong.
        short = {k: [f"{self.name} did not accept this {label.lower()}: check it in {self.name} and paste it again."]
                 for k, label in ((f.key, f.label) for f in self.credentials) if "key" in k and len(values[k]) < 16}
        if short:
            raise InvalidInput(f"{self.name} did not accept the credentials.", field_errors=short)
        connection.credentials = values
        account = next(iter(values.values()))
        connection.tenant_id = f"{self.key}-{account}"[:64]
        connection.tenant_name = f"{connection.supplier} ({self.name})"
        return [RemoteTenant(id=connection.tenant_id, name=connection.tenant_name)]

    @hookimpl
    def disconnect(self, connection):
        if not self._mine(connection):
            return None
        connection.credentials = {}
        return True

    @hookimpl
    def check_connection(self, connection):
        if not self._mine(connection):
            return None
        fault = store.take_fault(connection)
        if fault is not None:
            try:
                self._raise_fault(fault)
            except Exception as exc:
                return classify(self.name, exc)
        if not connection.credentials:
            return ClassifiedError.of(ErrorCategory.AUTH_EXPIRED, self.name, detail="no credentials")
        return True

    @hookimpl
    def push_invoice(self, connection, invoice, sync):
        if not self._mine(connection):
            return None
        fault = store.take_fault(connection)
        if fault is not None and fault.kind == "slow":
            time.sleep(float(fault.params.get("seconds", 0.5)))  # answers, but late
        elif fault is not None:
            self._raise_fault(fault)
        self._preflight(invoice)
        return self._write(connection, invoice, sync)

    @hookimpl
    def fetch_invoices(self, connection, remote_ids, modified_since):
        if not self._mine(connection):
            return None
        rows = StubRemoteInvoice.objects.filter(provider=self.key, connection_id=connection.pk)
        if remote_ids is not None:
            rows = rows.filter(remote_id__in=remote_ids)
        elif modified_since is not None:
            rows = rows.filter(updated_at__gte=modified_since)
        return [
            RemoteInvoice(remote_id=r.remote_id, number=r.number, status=r.status, updated_at=r.updated_at,
                          total=store.payload_total(r.payload), paid=r.status == "PAID", voided=r.status == "VOIDED",
                          deleted=r.status == "DELETED")
            for r in rows.order_by("number")
        ]

    @hookimpl
    def classify_error(self, connection, error):
        if not self._mine(connection):
            return None
        return classify(self.name, error)

    def _raise_fault(self, fault) -> None:
        if fault.kind == "timeout":
            raise TimeoutError(f"{self.name} did not answer in time")
        if fault.kind == "hang":
            time.sleep(float(fault.params.get("seconds", 30)))
            raise TimeoutError(f"{self.name} did not answer in time")
        if fault.kind == "crash":
            raise RuntimeError("the stub remote broke in a way nobody expected")
        status = _FAULT_STATUS[fault.kind]
        body = {"error": fault.kind, "message": fault.params.get("message", f"stub remote says {fault.kind}"),
                "access_token": "should-never-be-stored"}
        raise StubRemoteError(fault.kind, status, body, retry_after=fault.params.get("retry_after"))

    def _preflight(self, invoice) -> None:
        for line in invoice.lines.all():
            if line.product is not None and not line.gl_account_code:
                raise PushError(ClassifiedError.of(
                    ErrorCategory.MISSING_GL_ACCOUNT, self.name,
                    detail=f"item {line.item_code} ({line.product.name}) on line {line.position} has no expense account",
                ))
            if line.sales_account_code not in store.ACCOUNT_CODES or line.effective_tax_type not in store.TAX_TYPES:
                raise PushError(ClassifiedError.of(
                    ErrorCategory.INVALID_ACCOUNT_OR_TAX, self.name,
                    detail=(f"line {line.position} has account code '{line.sales_account_code}' and tax rate "
                            f"'{line.effective_tax_type}', which {self.name} does not know"),
                ))

    def _write(self, connection, invoice, sync) -> PushResult:
        payload = {
            "number": invoice.number,
            "reference": invoice.order_reference,
            "contact": invoice.customer.name,
            "currency": invoice.currency,
            "date": invoice.issue_date.isoformat(),
            "lines": [
                {"description": line.description, "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                 "account_code": line.sales_account_code, "tax_type": line.effective_tax_type,
                 "item_code": line.item_code}
                for line in invoice.lines.all()
            ],
        }
        status = {"paid": "PAID", "void": "VOIDED"}.get(invoice.status, "AUTHORISED")
        with transaction.atomic():
            remote = (
                StubRemoteInvoice.objects.select_for_update()
                .filter(provider=self.key, connection_id=connection.pk, number=invoice.number)
                .first()
            )
            if remote is None:
                remote = StubRemoteInvoice.objects.create(
                    provider=self.key, connection_id=connection.pk, remote_id=str(uuid.uuid4()),
                    number=invoice.number, version=invoice.version, status=status, payload=payload,
                )
                action = "created"
            else:
                if remote.status == "PAID":
                    raise StubRemoteError("locked", 400, {"error": "locked", "message": "Invoice is paid"})
                remote.version, remote.status, remote.payload = invoice.version, status, payload
                remote.writes += 1
                remote.save()
                action = "updated"
        return PushResult(remote_id=remote.remote_id, remote_status=status, locked=status == "PAID",
                          http_status=200, request_id=str(uuid.uuid4()), action=action)


def classify(provider_name: str, error: BaseException) -> ClassifiedError:
    """The stub remote's errors by category; never raises."""
    if isinstance(error, TimeoutError):
        return ClassifiedError.of(ErrorCategory.TRANSIENT, provider_name, raw=str(error))
    if not isinstance(error, StubRemoteError):
        return ClassifiedError.of(ErrorCategory.UNKNOWN, provider_name, raw=repr(error))
    category = {
        "rate_limited": ErrorCategory.RATE_LIMITED,
        "auth_expired": ErrorCategory.AUTH_EXPIRED,
        "not_found": ErrorCategory.NOT_FOUND,
        "validation": ErrorCategory.VALIDATION,
        "locked": ErrorCategory.INVOICE_LOCKED,
    }.get(error.kind, ErrorCategory.UNKNOWN)
    message = None
    if category == ErrorCategory.VALIDATION:
        message = f"{provider_name} rejected the invoice: {error.body.get('message', '')}"
    return ClassifiedError.of(
        category, provider_name, message=message, retry_after=error.retry_after, http_status=error.status,
        raw=json.dumps(error.body),
    )


class StubHarness:
    """The plugin contract suite's harness (`integrations_core.contract`) for a plugin on this store: the
    store plays the remote, so a connection needs no sign-in and the remote's copies are the store's rows."""

    def __init__(self, provider: str, request):
        self.provider = provider
        self.request = request

    def connected(self, supplier):
        from django.utils import timezone

        from integrations_core.models import Connection, ConnectionState

        return Connection.objects.create(
            supplier=supplier, provider=self.provider, state=ConnectionState.CONNECTED,
            tenant_id=f"{self.provider}-{supplier.pk}", tenant_name=f"{supplier.name} ({self.provider})",
            credentials={"api_key": "secret-api-key"}, connected_at=timezone.now())

    def remote_copies(self, connection, number: str) -> list[dict]:
        return [{"status": r.status, "total": store.payload_total(r.payload)}
                for r in store.remote_invoices(connection) if r.number == number]


# Every plugin on the stub store names its contract harness (integrations_core/contract/harness.py).
StubPlugin.contract_harness = StubHarness
