"""Every query is the caller's: a supplier's API key sees its supplier only; support staff see all.
Another supplier's object is simply not found (404), never forbidden. A staff session's write also needs the
permission its view declares for it (`write_permissions`, checked by `StaffMayWrite`): 403 otherwise."""

from __future__ import annotations

from rest_framework import throttling

from ..errors import InvalidInput, NotFound
from ..models import Supplier
from .permissions import IsSupplierOrSupport, StaffMayWrite, is_support, supplier_of


class SupplierScoped:
    """View mixin: `self.supplier_id` is the caller's supplier, or None for support staff. A view with writes
    declares `write_permissions`: action -> (what it does, the permissions a staff session needs for it)."""

    permission_classes = [IsSupplierOrSupport, StaffMayWrite]
    write_permissions: dict[str, tuple[str, list[str]]] = {}

    @property
    def supplier_id(self) -> int | None:
        supplier = supplier_of(self.request.user)
        return supplier.pk if supplier is not None else None

    def acting_supplier(self, requested: int | None) -> Supplier:
        """The supplier a write is for: the key's own, or (support only) the one named in the request."""
        supplier = supplier_of(self.request.user)
        if supplier is not None:
            if requested not in (None, supplier.pk):
                raise NotFound("No such supplier.")
            return supplier
        if not is_support(self.request.user):
            raise NotFound("No such supplier.")
        if requested is None:
            raise InvalidInput("Support staff must name the supplier.",
                               field_errors={"supplier": ["This field is required for support staff."]})
        found = Supplier.objects.filter(pk=requested).first()
        if found is None:
            raise InvalidInput("Unknown supplier.", field_errors={"supplier": [f"No supplier {requested}."]})
        return found


class ActionThrottle(throttling.SimpleRateThrottle):
    """Rate limit on action endpoints (re-sync, resolve, connect), per API key or per staff user."""

    scope = "actions"

    def get_cache_key(self, request, view):
        key = getattr(request.user, "api_key", None)
        ident = f"key:{key.prefix}" if key is not None else f"user:{request.user.pk or self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
