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
        "settings_read": "The connection's integration settings (for Xero: invoice status, default sales account "
                         "and tax rate, an account per product category, freight, surcharge, discount and payment "
                         "accounts, tracking, branding theme, reference, contact matching). `values` are those in "
                         "force (a default while not set); each of `fields` lists its `choices`, read from the "
                         "organisation's own lists now, or null for free text; a `mapping` field's value is an "
                         "object of its keys (limited to `key_choices` when given) -> one of `choices`. `changes` are "
                         "the last 20 changes, with who made them. A provider without settings answers `fields: []`. "
                         "400 while the connection is not connected; 503 `settings_unavailable` when the provider "
                         "cannot be read." + KEY,
        "settings_update": "Change some settings: `{\"settings\": {key: value}}`, null putting a setting back to "
                           "its default; the others stay. Each value is checked against the organisation's lists "
                           "as they are now: an account code, tax rate or tracking category it does not have (or "
                           "has archived) is a 400 naming the setting and the value in `field_errors`, as is an "
                           "unknown setting, and then nothing is changed. The change is kept with who made it (the "
                           "API key, or the staff user) and answered with the settings as in GET." + KEY,
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
        "payments": "Record one part of the order's payment: its `id` (the storefront's), `amount` and `paid_on` "
                    "day. Each part becomes one payment in the accounting system, exactly once; the part that pays "
                    "what is left makes the invoice paid (Xero then locks it). The same part again answers 200 and "
                    "changes nothing (201 when new); more than is owed, or the id of another part, is a 400.",
        "pdf": "Attach the storefront's PDF of the invoice (the raw body, `Content-Type: application/pdf`, at most "
               "10 MB). It is a new version of the invoice and goes to the accounting system with its push, "
               "once; the same PDF again changes nothing.",
        "refund": "Refund a paid order (part or all): proposes a credit note for each accounting system the invoice "
                  "reached; approve it with `POST /credit-notes/{id}/approve/`. 400 when the invoice is not paid "
                  "or the amount is more than its total.",
    },
    "CreditNoteViewSet": {
        "list": "The supplier's credit notes, newest first: proposed (by changes to a paid invoice that lower its "
                "total, or by a refund), approved, created in the accounting system (with its id there), or "
                "failed (with the message)." + KEY,
        "retrieve": "One credit note, as in the list." + KEY,
        "approve": "Approve a proposed (or failed) credit note: a job makes it in the accounting system once and "
                   "allocates it to its invoice for as much as the invoice still owes there; the rest stays as "
                   "credit. 400 when it is already approved, made or dismissed.",
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
    """Give `viewset`'s operations their descriptions from DESCRIPTIONS.

    A second method on an action's URL (`@settings_read.mapping.patch def settings_update`) is not a view method
    `extend_schema_view` finds: its description goes on the function itself."""
    texts = dict(DESCRIPTIONS[viewset.__name__])
    mapped = {name for extra in viewset.get_extra_actions() for name in extra.mapping.values()
              if name != extra.__name__}
    for name in mapped & set(texts):
        extend_schema(description=texts.pop(name))(getattr(viewset, name))
    return extend_schema_view(**{action: extend_schema(description=text) for action, text in texts.items()})(viewset)
