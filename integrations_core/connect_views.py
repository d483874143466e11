"""The browser side of connecting an account: start (redirect to the provider's consent page), callback,
organisation choice, then back to where the person came from with the outcome.

A connection starts either from the admin (staff, ?supplier=ID) or from a link the storefront got from
the API (a signed ticket for a `ConnectLink` naming the supplier, provider and return URL, valid once for
30 minutes). The OAuth
`state` and PKCE verifier live in this browser's session, so a callback that did not start here is refused.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpResponseBadRequest, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import registry
from .connections import connection_abandon, connection_choose_tenant, connection_finish, connection_start
from .errors import ServiceError
from .hookspecs import CredentialsForm, RemoteTenant
from .models import Connection, ConnectLink, Supplier

SESSION_KEY = "integrations_connect"
TICKET_SALT = "integrations.connect"
TICKET_MAX_AGE = 30 * 60


def connect_ticket(*, supplier: Supplier, provider: str, return_url: str = "") -> str:
    """A signed token, valid once for 30 minutes, that lets a browser start connecting `provider` for
    `supplier`. `return_url` must be allowed (`return_url_allowed`): the caller checks it first."""
    ConnectLink.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    link = ConnectLink.objects.create(nonce=secrets.token_urlsafe(16), supplier=supplier, provider=provider,
                                      return_url=return_url)
    return signing.dumps({"n": link.nonce, "s": supplier.pk, "p": provider}, salt=TICKET_SALT, compress=True)


def return_url_allowed(url: str, request_host: str) -> bool:
    """Whether the browser may be sent back to `url`: this app's own host or one in INTEGRATIONS_RETURN_HOSTS."""
    hosts = {request_host, *getattr(settings, "INTEGRATIONS_RETURN_HOSTS", [])}
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts=hosts, require_https=False)


def redirect_uri(request, provider: str) -> str:
    """Where the provider sends the browser back: the URI registered with it (setting `<KEY>_REDIRECT_URI`,
    e.g. XERO_REDIRECT_URI) or our generic callback."""
    configured = getattr(settings, f"{provider.upper()}_REDIRECT_URI", "")
    return configured or request.build_absolute_uri(reverse("connect-callback"))


def _done_url(request, pending: dict, outcome: str) -> str:
    url = pending.get("return_url") or ""
    if not return_url_allowed(url, request.get_host()):
        try:
            url = reverse("admin:integrations_core_connection_changelist")
        except NoReverseMatch:
            url = "/admin/"
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}outcome={outcome}&provider={pending.get('provider', '')}"


def _begin(request, supplier: Supplier, provider: str, return_url: str):
    try:
        start = connection_start(supplier=supplier, provider=provider, redirect_uri=redirect_uri(request, provider))
    except ServiceError as error:
        return HttpResponseBadRequest(error.message)
    if isinstance(start, CredentialsForm):  # typed-in credentials: ask for them here, keep nothing typed in the session
        request.session[SESSION_KEY] = {"supplier_id": supplier.pk, "provider": provider, "return_url": return_url,
                                        "form": True}
        return HttpResponseRedirect(reverse("connect-credentials"))
    request.session[SESSION_KEY] = {**start.session, "supplier_id": supplier.pk, "provider": provider,
                                    "return_url": return_url}
    return HttpResponseRedirect(start.authorize_url)


@require_GET
def start(request, ticket: str):
    """Start from a ticket the storefront got from `POST /api/v1/connections/`."""
    try:
        data = signing.loads(ticket, salt=TICKET_SALT, max_age=TICKET_MAX_AGE)
    except signing.SignatureExpired:
        return HttpResponseBadRequest("This connect link has expired; start connecting again from Settings > Add-ons.")
    except signing.BadSignature:
        return HttpResponseBadRequest("This connect link is not valid.")
    link = ConnectLink.objects.filter(nonce=data.get("n") or "", supplier_id=data.get("s"),
                                      provider=data.get("p")).select_related("supplier").first()
    if link is None:
        return HttpResponseBadRequest("This connect link is not valid.")
    # Once only: whoever else holds the link cannot attach another organisation to this supplier.
    if not ConnectLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now()):
        return HttpResponseBadRequest("This connect link has already been used; start connecting again from "
                                      "Settings > Add-ons.")
    return _begin(request, link.supplier, link.provider, link.return_url)


def staff_start(request, provider: str):
    """Start from the admin: ?supplier=ID (and optional &return_url=...); staff allowed to add connections
    only (see urls; the Support group may not)."""
    if not request.user.has_perm("integrations_core.add_connection"):
        return HttpResponseForbidden("You may view connections but not connect an account for a supplier.")
    supplier = get_object_or_404(Supplier, pk=request.GET.get("supplier") if str(
        request.GET.get("supplier", "")).isdigit() else 0)
    return _begin(request, supplier, provider, request.GET.get("return_url", ""))


@require_GET
def callback(request):
    """The provider sends the browser back here with ?code&state (or ?error)."""
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return HttpResponseBadRequest("This sign-in did not start here (or has already finished). Connect again.")
    supplier = get_object_or_404(Supplier, pk=pending["supplier_id"])
    provider = pending["provider"]
    if "connection_id" in pending:  # the chooser, reloaded: its code is spent, its choice still waits
        tenants = [RemoteTenant(id=i, name=n) for i, n in pending["tenants"]]
        return _tenant_page(request, provider, tenants)
    try:
        connection, tenants = connection_finish(supplier=supplier, provider=provider,
                                                redirect_uri=redirect_uri(request, provider),
                                                callback_params=request.GET.dict(), session=pending)
    except ServiceError as error:
        request.session.pop(SESSION_KEY, None)
        connection_abandon(supplier=supplier, provider=provider)
        messages.error(request, error.message)
        return HttpResponseRedirect(_done_url(request, pending, error.code))
    if connection.is_connected:
        return _connected(request, pending, connection)
    request.session[SESSION_KEY] = {**pending, "connection_id": connection.pk,
                                    "tenants": [[t.id, t.name] for t in tenants]}
    return _tenant_page(request, provider, tenants)


@require_http_methods(["GET", "POST"])
def credentials(request):
    """The form of a provider that takes credentials typed in by the supplier (an API key): GET shows it, POST
    checks the values with the provider and connects, or shows the form again with what is wrong (400)."""
    pending = request.session.get(SESSION_KEY) or {}
    if not pending.get("form"):
        return HttpResponseBadRequest("No connection is waiting for credentials. Connect again.")
    supplier = get_object_or_404(Supplier, pk=pending["supplier_id"])
    provider = pending["provider"]
    try:
        form = connection_start(supplier=supplier, provider=provider, redirect_uri=redirect_uri(request, provider))
    except ServiceError as error:
        return HttpResponseBadRequest(error.message)
    if not isinstance(form, CredentialsForm):
        return HttpResponseBadRequest("This provider connects through its own sign-in page. Connect again.")
    if request.method != "POST":
        return _credentials_page(request, provider, form)
    typed = {field.key: request.POST.get(field.key, "") for field in form.fields}
    try:
        connection, tenants = connection_finish(supplier=supplier, provider=provider,
                                                redirect_uri=redirect_uri(request, provider),
                                                callback_params=typed, session={})
    except ServiceError as error:
        return _credentials_page(request, provider, form, error.message, error.field_errors, status=400,
                                 typed={k: v for k, v in typed.items() if "key" not in k and "secret" not in k})
    if connection.is_connected:
        return _connected(request, pending, connection)
    request.session[SESSION_KEY] = {**pending, "form": False, "connection_id": connection.pk,
                                    "tenants": [[t.id, t.name] for t in tenants]}
    return _tenant_page(request, provider, tenants)


def _credentials_page(request, provider: str, form: CredentialsForm, error: str = "", field_errors=None,
                      status: int = 200, typed: dict | None = None):
    rows = [{"key": f.key, "label": f.label, "help": f.help, "value": (typed or {}).get(f.key, ""),
             "secret": "key" in f.key or "secret" in f.key or "password" in f.key,
             "errors": (field_errors or {}).get(f.key, [])} for f in form.fields]
    return render(request, "integrations_core/connect_credentials.html",
                  {"fields": rows, "help": form.help, "error": error, "provider_name": registry.provider(provider).name,
                   "action": reverse("connect-credentials")}, status=status)


def _tenant_page(request, provider: str, tenants: list[RemoteTenant], error: str = "", status: int = 200):
    return render(request, "integrations_core/choose_tenant.html",
                  {"tenants": tenants, "error": error, "provider_name": registry.provider(provider).name,
                   "action": reverse("connect-choose-tenant")}, status=status)


def _connected(request, pending: dict, connection: Connection):
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"{registry.provider(connection.provider).name} is connected to {connection.tenant_name}.")
    return HttpResponseRedirect(_done_url(request, pending, "connected"))


@require_POST
def choose_tenant(request):
    """The person picked one of several authorised organisations."""
    pending = request.session.get(SESSION_KEY) or {}
    if "connection_id" not in pending:
        return HttpResponseBadRequest("No connection is waiting for an organisation. Connect again.")
    connection = get_object_or_404(Connection, pk=pending["connection_id"], supplier_id=pending["supplier_id"])
    tenants = [RemoteTenant(id=i, name=n) for i, n in pending["tenants"]]
    try:
        connection_choose_tenant(connection=connection, tenant_id=request.POST.get("tenant_id", ""), tenants=tenants)
    except ServiceError as error:
        return _tenant_page(request, pending["provider"], tenants, error.message, status=400)
    return _connected(request, pending, connection)
