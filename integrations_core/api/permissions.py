"""Who may call the API: a supplier's API key (its own objects only) or staff with the support permission."""

from rest_framework.permissions import BasePermission

SUPPORT_PERMISSION = "integrations_core.support_any_supplier"


def is_support(user) -> bool:
    """Staff who may see and act on every supplier's objects."""
    return bool(getattr(user, "is_staff", False) and user.is_active and user.has_perm(SUPPORT_PERMISSION))


def supplier_of(user):
    """The one supplier an API caller acts for, or None for support staff (who act for all)."""
    return getattr(user, "supplier", None)


class IsSupplierOrSupport(BasePermission):
    message = "Authenticate with a supplier's API key, or sign in as support staff."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (supplier_of(user) is not None or is_support(user)))
