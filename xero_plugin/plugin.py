"""The Xero provider: the hook implementations only (the work is in the modules beside this one)."""

from __future__ import annotations

from integrations_core.errors import PushError
from integrations_core.hookspecs import ProviderInfo, RemoteInvoice, hookimpl

from . import oauth, push
from .errors import classify_exception, classify_failure

KEY = "xero"


def _mine(connection) -> bool:
    return connection is not None and connection.provider == KEY


class XeroPlugin:
    @hookimpl
    def provider_info(self):
        # Xero's manual re-sync is the engine's re-sync loop under Xero's name, 50 invoices to a call.
        return ProviderInfo(key=KEY, name="Xero", manual_resync="Manually Re-sync invoices to Xero",
                            concurrency=5, idle_lifetime_days=60, batch_size=push.BATCH)

    @hookimpl
    def supports_resync(self, connection):
        # Xero has its own manual re-sync; the framework's Resync / Mark as Resolved do not apply.
        return False if _mine(connection) else None

    @hookimpl
    def connect(self, connection, redirect_uri, callback_params, session):
        if not _mine(connection):
            return None
        if callback_params is None:
            return oauth.authorize(redirect_uri)
        return oauth.finish(connection, redirect_uri, callback_params, session)

    @hookimpl
    def disconnect(self, connection):
        if not _mine(connection):
            return None
        oauth.disconnect(connection)
        return True

    @hookimpl
    def push_invoice(self, connection, invoice, sync):
        if not _mine(connection):
            return None
        return push.push_one(connection, invoice, sync)

    @hookimpl
    def push_invoices(self, connection, invoices, syncs, live=False):
        if not _mine(connection):
            return None
        return push.push_many(connection, invoices, syncs, live=live)

    @hookimpl
    def check_invoice(self, connection, invoice):
        if not _mine(connection):
            return None
        from .client import client_for
        from .preflight import check

        try:
            check(connection, invoice, client_for(connection))
        except PushError as refused:
            return refused.classified
        return None

    @hookimpl
    def budget(self, connection):
        if not _mine(connection):
            return None
        from .limits import budget

        return budget(connection.tenant_id)

    @hookimpl
    def classify_error(self, connection, error):
        if not _mine(connection):
            return None
        return classify_failure(error)

    @hookimpl
    def check_connection(self, connection):
        if not _mine(connection):
            return None
        from .client import client_for
        from .tokens import fresh_token

        try:
            fresh_token(connection, force=True)  # keeps the refresh token from lapsing (60 days idle)
            client = client_for(connection)
            client.accounting.get_organisations(connection.tenant_id, _request_timeout=(5, 30))
        except PushError as error:
            return error.classified
        except Exception as exc:
            return classify_exception(exc)
        return True

    @hookimpl
    def push_credit_note(self, connection, credit_note, invoice_remote_id):
        if not _mine(connection):
            return None
        from .credit_notes import push as push_credit_note

        return push_credit_note(connection, credit_note, invoice_remote_id)

    @hookimpl
    def settings_fields(self, connection):
        if not _mine(connection):
            return None
        from .settings import fields

        return fields(connection)

    @hookimpl
    def fetch_invoices(self, connection, remote_ids, modified_since):
        if not _mine(connection):
            return None
        from .client import client_for

        client = client_for(connection)
        found, page = [], 1
        while True:
            kwargs = {"page": page, "page_size": 100}
            if remote_ids is not None:
                if not remote_ids:
                    return []
                kwargs["i_ds"] = list(remote_ids)
                kwargs["statuses"] = ["DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"]
            elif modified_since is not None:
                kwargs["if_modified_since"] = modified_since
            batch = client.accounting.get_invoices(connection.tenant_id, _request_timeout=(5, 30), **kwargs).invoices or []
            for x in batch:
                status = str(getattr(x.status, "value", x.status) or "")
                # Our totals are the sum of the lines as entered: ex tax unless amounts include it.
                inclusive = str(getattr(x.line_amount_types, "value", x.line_amount_types)) == "Inclusive"
                found.append(RemoteInvoice(remote_id=str(x.invoice_id), number=x.invoice_number or "", status=status,
                                           total=x.total if inclusive else x.sub_total, updated_at=x.updated_date_utc, paid=status == "PAID",
                                           voided=status == "VOIDED", deleted=status == "DELETED",
                                           payment_ids=tuple(str(p.payment_id) for p in (x.payments or []))))
            if len(batch) < 100:
                return found
            page += 1


plugin = XeroPlugin()
