"""The plugin contract. Each spec's docstring is the contract; bodies are empty on purpose.

Conventions (pluggy's):
- hooks are called with keyword arguments only; an implementation may accept fewer arguments than
  the spec lists, so a spec can grow without breaking plugins;
- every hook that acts on an account takes the `connection` first, and a plugin answers only for its
  own provider (`connection.provider == <its key>`), returning None otherwise;
- hooks marked firstresult stop at the first non-None result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .errors import ClassifiedError
    from .models import Connection, Invoice, InvoiceSync

PROJECT = "integrations"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclasses.dataclass(frozen=True)
class ProviderInfo:
    """What a provider is: its key (a lowercase slug), its display name and its plain capabilities."""

    key: str
    name: str
    # The provider's own way to push invoices again, named when the framework's Resync is refused.
    manual_resync: str = ""
    # At most this many pushes at once per connection (None: no limit of its own).
    concurrency: int | None = None
    # Credentials lapse after this many days unused (Xero's refresh token: 60); None if they do not.
    idle_lifetime_days: int | None = None
    # Invoices per remote call on the batch path (`push_invoices`): a re-sync's estimate counts calls in these, and
    # a live push takes up to this many waiting pushes of its connection together (when more than 1).
    batch_size: int = 1


@dataclasses.dataclass(frozen=True)
class Budget:
    """What the remote allows a connection now: calls left this minute and today (None: not known yet), and
    the limits themselves. A re-sync's estimate is made from it."""

    minute_remaining: int | None = None
    day_remaining: int | None = None
    per_minute: int | None = None
    per_day: int | None = None
    # What bulk work (a re-sync) may take of the minute, when the provider keeps a share for live pushes.
    bulk_per_minute: int | None = None


@dataclasses.dataclass(frozen=True)
class ConnectStart:
    """The first step of linking an account: where to send the supplier, and what to keep until the callback."""

    authorize_url: str
    session: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class CredentialsForm:
    """The first step of linking an account that takes credentials typed in by the supplier (an API key, an
    account id) instead of an OAuth redirect: the fields to ask for. Their values come back to `connect` as
    `callback_params` (a dict of field key -> the text typed)."""

    fields: tuple[SettingField, ...]
    # Shown above the form: where the supplier finds these values in their account.
    help: str = ""


@dataclasses.dataclass(frozen=True)
class RemoteTenant:
    """An organisation the supplier may link (Xero's tenant)."""

    id: str
    name: str


@dataclasses.dataclass(frozen=True)
class PushResult:
    """A successful push: the remote id and status, and whether the remote copy is now locked (paid)."""

    remote_id: str
    remote_status: str = ""
    locked: bool = False
    http_status: int | None = None
    request_id: str = ""
    # What was done: "created", "updated", "unchanged", "voided", "paid".
    action: str = ""


@dataclasses.dataclass(frozen=True)
class RemoteInvoice:
    """An invoice as the remote system holds it now (read back for webhooks and reconciliation)."""

    remote_id: str
    number: str
    status: str  # the remote's own word: AUTHORISED, PAID, VOIDED, DELETED, ...
    total: Decimal | None = None
    updated_at: dt.datetime | None = None
    paid: bool = False
    voided: bool = False
    deleted: bool = False
    # The remote's ids of the payments on it now, when the remote says (None: not known).
    payment_ids: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class SettingField:
    """One integration setting of a connection, as the plugin offers it (see `settings_fields`).

    `choices` are the values allowed now, read from the remote (its accounts, tax rates, ...), as
    (value, label); None means free text. A `mapping` setting is an object: its keys are what `mapping` names
    ("product category", "tracking category"), limited to `key_choices` when given, each value one of
    `choices`. `default` applies while the setting is not set."""

    key: str
    label: str
    help: str = ""
    choices: tuple[tuple[str, str], ...] | None = None
    mapping: str = ""
    key_choices: tuple[tuple[str, str], ...] | None = None
    default: Any = ""


@hookspec
def provider_info() -> ProviderInfo:  # type: ignore[empty-body]
    """Describe the provider this plugin implements.

    Called with no arguments; every registered plugin answers once, and the registry builds its
    provider table (key -> plugin) from the answers. Two plugins with the same key are an error.

    :return: a `ProviderInfo` with the provider's `key` (lowercase slug, unique), display `name`,
        the name of its own manual re-sync if it has one, and its per-connection concurrency limit.
    """


@hookspec(firstresult=True)
def supports_resync(connection: Connection) -> bool | None:
    """Tell whether the framework's Resync and Mark as Resolved apply to this provider.

    :param connection: a connection of the plugin's provider (may be unsaved: only `provider` is set).
    :return: True if the framework may re-push / resolve this provider's invoices; False if the
        provider has its own re-sync path (Xero); None if the connection is not this plugin's.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def connect(
    connection: Connection, redirect_uri: str, callback_params: dict[str, str] | None, session: dict[str, Any]
) -> ConnectStart | CredentialsForm | list[RemoteTenant] | None:
    """Start or finish linking a supplier's account to the provider.

    Start (`callback_params` is None), OAuth: return a `ConnectStart` whose `authorize_url` the supplier is
    sent to; values in `ConnectStart.session` (OAuth `state`, PKCE verifier) are kept server-side and passed
    back as `session` at the callback.
    Start, typed-in credentials: return a `CredentialsForm`; the engine asks the supplier for its fields and
    calls `connect` again with what was typed as `callback_params`.
    Finish (`callback_params` holds the query of the callback, or the form's values): check it (against
    `session` for OAuth; against the remote for typed-in credentials, raising `InvalidInput` with the field at
    fault), exchange the code, store the credentials on `connection.credentials` (encrypted at rest) and pick
    the tenant.
    Return the list of `RemoteTenant` the supplier may choose from; when there is exactly one the plugin
    has already set `connection.tenant_id`/`tenant_name`. The caller saves the connection and marks it
    connected.

    :raises integrations_core.errors.ServiceError: the callback is invalid (state mismatch, denied).
    :return: None if the connection is not this plugin's.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def disconnect(connection: Connection) -> bool | None:
    """Unlink the account at the provider: revoke tokens, remove the tenant link. Best effort.

    :return: True when done (even if the remote was already gone); None if not this plugin's.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def push_invoice(connection: Connection, invoice: Invoice, sync: InvoiceSync) -> PushResult | None:
    """Create or update one invoice in the remote system, with its payment when paid, or void it.

    The invoice is read at its current `version`; the plugin pushes it as it is. `sync` holds what is
    known of the remote copy (`remote_id`, `remote_status`, `synced_version`).

    A push must be safe to repeat: when a previous attempt's outcome is unknown (a timeout after the
    request was sent), the plugin must not create a second copy.

    :return: a `PushResult` on success; None if the connection is not this plugin's.
    :raises Exception: anything on failure. The engine passes it to `classify_error`, except for
        `integrations_core.errors.PushError`, whose `ClassifiedError` is used as it is.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def push_invoices(
    connection: Connection, invoices: list[Invoice], syncs: list[InvoiceSync], live: bool = False
) -> list[PushResult | ClassifiedError] | None:
    """Push many invoices in as few remote calls as the provider allows (the batch path). Optional.

    The engine calls it for every re-sync run (a selection, a date window, the backlog; the framework's or the
    provider's own) of a provider that implements it, with up to a few hundred invoices a call, after marking
    their syncs `syncing`; it records each entry of the answer. Without it, a re-sync queues each invoice's
    `push_invoice`. The same rules as `push_invoice` apply to each invoice (current version, safe to repeat).
    `ProviderInfo.batch_size` says how many invoices go to one remote call.

    The engine also calls it for live pushes (`live=True`): when a push job claims its sync while other syncs of
    the same connection are waiting and due, it takes up to `batch_size - 1` of them with it, at most
    `batch_size` invoices in all, none of them void (a void invoice goes alone through `push_invoice`). Each
    invoice's outcome must then be what `push_invoice` would have made of it (the same pre-flight refusals and
    messages), and the calls are live work: they spend what the remote allows live pushes, and a budget that is
    spent is answered at once (`rate_limited`, with `retry_after`), never waited for. Only `batch_size > 1`
    takes live pushes together.

    :param live: True for the engine's live pushes taken together; False (or not passed) for a re-sync run, bulk
        work. An implementation that takes it declares it with the same default (`live=False`): pluggy passes an
        argument with a default only to an implementation that declares one. One that leaves it out treats every
        call alike.
    :return: one entry per invoice, in order: a `PushResult` or the `ClassifiedError` of that invoice;
        None if the connection is not this plugin's.
    :raises Exception: the whole call failed; the engine classifies it (`classify_error`) for every invoice.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def check_invoice(connection: Connection, invoice: Invoice) -> ClassifiedError | None:
    """Say whether the remote would refuse this invoice, without pushing it (a re-sync's dry run). Optional.

    :return: the `ClassifiedError` the push would meet (an account code or tax rate the remote does not
        have, a currency not set up), or None when the invoice would go through or the plugin cannot tell.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def budget(connection: Connection) -> Budget | None:
    """What the remote allows this connection now (calls left this minute and today), as last reported. Optional.

    Read without a remote call. The engine estimates how long a re-sync takes from it.
    :return: a `Budget`; None if the provider has no limits to tell or the connection is not its own.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def classify_error(connection: Connection, error: BaseException) -> ClassifiedError | None:
    """Turn whatever the push raised into a `ClassifiedError`.

    Must never raise: anything the plugin does not recognise becomes category `unknown`, with the raw
    body (secrets removed) kept for support.

    :param error: the exception raised by `push_invoice` (or by the plugin's client).
    :return: the `ClassifiedError` (category, the seed's message, the fix, retryable, retry_after);
        None if the connection is not this plugin's.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def check_connection(connection: Connection) -> ClassifiedError | bool | None:
    """Check the connection with one cheap remote call (and refresh its credentials if they age).

    :return: True if the connection works; a `ClassifiedError` if it does not (an `auth_expired` one
        makes the connection expired); None if not this plugin's.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def fetch_invoices(
    connection: Connection, remote_ids: list[str] | None, modified_since: dt.datetime | None
) -> list[RemoteInvoice] | None:
    """Read invoices back from the remote system, in as few calls as it allows.

    :param remote_ids: read these invoices (by the remote's id); None to use `modified_since` instead.
    :param modified_since: read every invoice changed at or after this time (reconciliation).
    :return: the invoices found (missing ones are left out); None if not this plugin's.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def settings_fields(connection: Connection) -> list[SettingField] | None:
    """List the connection's integration settings, with their allowed values read from the remote now.

    Called when support or the supplier views or edits the settings; the engine refuses a value that is not
    among a field's `choices` (naming it) and keeps every change with who made it. The plugin reads the
    stored values from `connection.settings` (a dict of key -> value) when it pushes.

    :param connection: a connected connection of the plugin's provider.
    :return: the fields, in the order they are shown; None if the connection is not this plugin's (a
        provider without settings need not implement this hook).
    :raises Exception: the remote could not be read; the engine shows it as one line and changes nothing.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def push_credit_note(connection: Connection, credit_note: Any, invoice_remote_id: str) -> PushResult | None:
    """Make an approved credit note in the remote, exactly once, and allocate it to its invoice.

    `credit_note` is an `integrations_core.models.CreditNote` (number, reason, amount, its invoice); its number
    is unique per connection, so a push after a lost answer finds the one made before instead of making another.
    Allocate as much as the invoice still owes in the remote; a credit beyond that stays as credit there.

    :return: a `PushResult` with the remote's credit note id and `action` ("allocated" or "credit"); None if
        not this plugin's (the engine then says the provider takes no credit notes).
    :raises Exception: any failure; the engine classifies it with `classify_error` and shows its message.

    Stops at first non-None result.
    """
