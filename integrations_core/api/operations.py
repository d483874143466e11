"""What each API operation does, written for the storefront developer who reads /api/docs/.

The views keep their docstrings for the people who maintain them; the schema takes these instead (a view's
own docstring, or one it inherits, never reaches the docs).
"""

from drf_spectacular.utils import extend_schema, extend_schema_view

KEY = " Answers only for the supplier of the API key (another supplier's object is 404)."

DESCRIPTIONS = {
    "ConnectionViewSet": {
        "list": "The supplier's accounting connections: state, health (`ok`, `unchecked`, `lapsing` when the "
                "provider's authorisation is about to lapse, `expired` with when and why), the organisation "
                "connected and how many invoices are in its backlog. Filter by `provider` or `state`." + KEY,
        "retrieve": "One connection, as in the list." + KEY,
        "create": "Start connecting a provider. Returns a link (valid once, for 30 minutes) to send the "
                  "supplier's browser to: it goes through the provider's consent page and comes back to "
                  "`return_url` with `?outcome=connected` (or an error code). `return_url` must be on this app's "
                  "host or one the operator allowed (`INTEGRATIONS_RETURN_HOSTS`); another is a 400. The "
                  "connection returned shows as `disconnected` until the browser comes back.",
        "disconnect": "Disconnect: the provider is told to revoke the authorisation and the credentials are "
                      "dropped here. Invoices stop syncing until the supplier connects again; nothing already "
                      "synced changes.",
        "backlog": "The invoices that missed the sync (generated or changed while the connection was expired or "
                   "disconnected) and still need a re-sync. Oldest issue date first, cursor pages.",
        "resync": "Re-sync invoices in a background run: chosen `invoice_ids` or `numbers`, a `since`/`until` issue "
                  "date window, or the `backlog`. Answers 202 with the run; poll `GET /resync-runs/{id}/` for "
                  "its progress. For Xero this is Xero's manual re-sync (50 invoices per call). One run at a time "
                  "per supplier (409 `resync_running`).",
    },
    "InvoiceViewSet": {
        "list": "The supplier's invoices, newest first, each with its sync state per connection. Filters: "
                "`sync_state`, `provider`, `error_category` (these three apply to the same sync), `status`, "
                "`issued_after`, `issued_before`, `number`. Cursor pages: follow `next`; `page_size` up to 200."
                + KEY,
        "retrieve": "One invoice with its lines and, per connection, its sync: state, the message and the fix when "
                    "it failed, changes kept while it is locked in the accounting system, drift, and the last "
                    "five attempts." + KEY,
        "upsert": "Create or update an invoice by the storefront's own id. A new one answers 201 (`created`, fires "
                  "\"invoice generated\"); a change to content that syncs answers 200 (`updated`, fires \"order "
                  "updated\"); the same content again answers 200 (`unchanged`) and pushes nothing. Safe to "
                  "repeat: concurrent calls for one id make one invoice.",
        "mark_paid": "Mark the order as paid: fires \"order marked as paid\", which records the payment in the "
                     "accounting system (Xero then locks the invoice). Marking a paid invoice paid again changes "
                     "nothing.",
        "cancel": "Cancel the order: the invoice is voided here and in the accounting system. A paid invoice "
                  "cannot be cancelled (refund it instead).",
        "diagnosis": "The help article's troubleshooting checklist run for this invoice: is the connection "
                     "connected, has a sync been triggered, did it fail and why; each finding with its fix.",
    },
    "SyncViewSet": {
        "retrieve": "One invoice's sync to one connection: state, message and fix, attempts, next retry, the "
                    "version synced and the remote id." + KEY,
        "resync": "Resync: push the invoice's current version again, for providers that support it (NetSuite, "
                  "Unleashed, ...). For Xero, 409 `resync_not_supported`: use the connection's re-sync (Xero's "
                  "manual re-sync) instead.",
        "resolve": "Mark as Resolved: close a failed sync by hand once it was fixed in the accounting system, "
                   "for providers that support it; 409 for Xero.",
    },
    "ResyncRunViewSet": {
        "list": "The supplier's re-sync runs, newest first: state, `done` of `total`, when started and finished. "
                "Filter by `connection` or `state`." + KEY,
        "retrieve": "One re-sync run: its progress and each invoice's outcome (created, updated, skipped, failed "
                    "with the message)." + KEY,
    },
}


def describe(viewset):
    """Give `viewset`'s operations their descriptions from DESCRIPTIONS."""
    texts = DESCRIPTIONS[viewset.__name__]
    return extend_schema_view(**{action: extend_schema(description=text) for action, text in texts.items()})(viewset)
