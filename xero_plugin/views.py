"""The browser side of connecting Xero: start (redirect to Xero's consent page), callback, tenant choice.

The OAuth `state` and PKCE verifier live in the supplier's session, so a callback that did not start
in this browser is refused.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from integrations_core.connections import connection_choose_tenant, connection_finish, connection_start
from integrations_core.errors import ServiceError
from integrations_core.hookspecs import RemoteTenant
from integrations_core.models import Connection, Supplier

SESSION_KEY = "xero_connect"


def _done_url(request, pending: dict, outcome: str) -> str:
    url = pending.get("return_url") or ""
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        try:
            url = reverse("admin:integrations_core_connection_changelist")
        except NoReverseMatch:
            url = "/admin/"
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}xero={outcome}"


@staff_member_required
@require_GET
def connect(request):
    """Start connecting Xero for ?supplier=ID (and optional &return_url=...)."""
    supplier = get_object_or_404(Supplier, pk=request.GET.get("supplier") or 0)
    start = connection_start(supplier=supplier, provider="xero", redirect_uri=settings.XERO_REDIRECT_URI)
    request.session[SESSION_KEY] = {**start.session, "supplier_id": supplier.pk,
                                    "return_url": request.GET.get("return_url", "")}
    return HttpResponseRedirect(start.authorize_url)


@require_GET
def callback(request):
    """Xero sends the supplier back here with ?code&state (or ?error)."""
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return HttpResponseBadRequest("This Xero sign-in did not start here (or has already finished). Connect again.")
    supplier = get_object_or_404(Supplier, pk=pending["supplier_id"])
    try:
        connection, tenants = connection_finish(supplier=supplier, provider="xero", redirect_uri=settings.XERO_REDIRECT_URI,
                                                callback_params=request.GET.dict(), session=pending)
    except ServiceError as error:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, error.message)
        return HttpResponseRedirect(_done_url(request, pending, error.code))
    if connection.is_connected:
        request.session.pop(SESSION_KEY, None)
        messages.success(request, f"Xero is connected to {connection.tenant_name}.")
        return HttpResponseRedirect(_done_url(request, pending, "connected"))
    request.session[SESSION_KEY] = {**pending, "connection_id": connection.pk,
                                    "tenants": [[t.id, t.name] for t in tenants]}
    return render(request, "xero_plugin/choose_tenant.html", {"tenants": tenants})


@require_POST
def choose_tenant(request):
    """The supplier picked one of several authorised organisations."""
    pending = request.session.get(SESSION_KEY) or {}
    if "connection_id" not in pending:
        return HttpResponseBadRequest("No Xero connection is waiting for an organisation. Connect again.")
    connection = get_object_or_404(Connection, pk=pending["connection_id"], supplier_id=pending["supplier_id"])
    tenants = [RemoteTenant(id=i, name=n) for i, n in pending["tenants"]]
    try:
        connection_choose_tenant(connection=connection, tenant_id=request.POST.get("tenant_id", ""), tenants=tenants)
    except ServiceError as error:
        return render(request, "xero_plugin/choose_tenant.html", {"tenants": tenants, "error": error.message},
                      status=400)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"Xero is connected to {connection.tenant_name}.")
    return HttpResponseRedirect(_done_url(request, pending, "connected"))
