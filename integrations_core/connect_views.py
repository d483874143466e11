"""The browser side of connecting an account: start (redirect to the provider's consent page), callback,
organisation choice, then back to where the person came from with the outcome.

A connection starts either from the admin (staff, ?supplier=ID) or from a link the storefront got from
the API (a signed ticket naming the supplier, provider and return URL, valid for 30 minutes). The OAuth
`state` and PKCE verifier live in this browser's session, so a callback that did not start here is refused.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import registry
from .connections import connection_choose_tenant, connection_finish, connection_start
from .errors import ServiceError
from .hookspecs import RemoteTenant
from .models import Connection, Supplier

SESSION_KEY = "integrations_connect"
TICKET_SALT = "integrations.connect"
TICKET_MAX_AGE = 30 * 60


def connect_ticket(*, supplier: Supplier, provider: str, return_url: str = "") -> str:
    """A signed, short-lived token that lets a browser start connecting `provider` for `supplier`."""
    return signing.dumps({"s": supplier.pk, "p": provider, "r": return_url}, salt=TICKET_SALT, compress=True)


def redirect_uri(request, provider: str) -> str:
    """Where the provider sends the browser back: the URI registered with it (setting `<KEY>_REDIRECT_URI`,
    e.g. XERO_REDIRECT_URI) or our generic callback."""
    configured = getattr(settings, f"{provider.upper()}_REDIRECT_URI", "")
    return configured or request.build_absolute_uri(reverse("connect-callback"))


def _allowed_return(request, url: str) -> bool:
    hosts = {request.get_host(), *getattr(settings, "INTEGRATIONS_RETURN_HOSTS", [])}
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts=hosts, require_https=False)


def _done_url(request, pending: dict, outcome: str) -> str:
    url = pending.get("return_url") or ""
    if not _allowed_return(request, url):
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
    supplier = get_object_or_404(Supplier, pk=data["s"])
    return _begin(request, supplier, data["p"], data.get("r", ""))


def staff_start(request, provider: str):
    """Start from the admin: ?supplier=ID (and optional &return_url=...); staff only (see urls)."""
    supplier = get_object_or_404(Supplier, pk=request.GET.get("supplier") or 0)
    return _begin(request, supplier, provider, request.GET.get("return_url", ""))


@require_GET
def callback(request):
    """The provider sends the browser back here with ?code&state (or ?error)."""
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return HttpResponseBadRequest("This sign-in did not start here (or has already finished). Connect again.")
    supplier = get_object_or_404(Supplier, pk=pending["supplier_id"])
    provider = pending["provider"]
    try:
        connection, tenants = connection_finish(supplier=supplier, provider=provider,
                                                redirect_uri=redirect_uri(request, provider),
                                                callback_params=request.GET.dict(), session=pending)
    except ServiceError as error:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, error.message)
        return HttpResponseRedirect(_done_url(request, pending, error.code))
    if connection.is_connected:
        return _connected(request, pending, connection)
    request.session[SESSION_KEY] = {**pending, "connection_id": connection.pk,
                                    "tenants": [[t.id, t.name] for t in tenants]}
    return _tenant_page(request, provider, tenants)


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
