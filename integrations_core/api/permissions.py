"""Who may call the API: a supplier's API key (its own objects only) or staff with the support permission.

Reading every supplier and acting are separate permissions. `support_any_supplier` lets staff read every
supplier's objects; a write by a staff session also needs the Django model permissions that the view declares
for that action in `write_permissions` (superusers have them all). An API key is its supplier acting on its own
objects: it may make every write, as before. A staff write the view has not declared is refused."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

SUPPORT_PERMISSION = "integrations_core.support_any_supplier"


def is_support(user) -> bool:
    """Staff who may see every supplier's objects (acting needs each write's own permission too)."""
    return bool(getattr(user, "is_staff", False) and user.is_active and user.has_perm(SUPPORT_PERMISSION))


def supplier_of(user):
    """The one supplier an API caller acts for, or None for support staff (who act for all)."""
    return getattr(user, "supplier", None)


class IsSupplierOrSupport(BasePermission):
    message = "Authenticate with a supplier's API key, or sign in as support staff."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (supplier_of(user) is not None or is_support(user)))


class StaffMayWrite(BasePermission):
    """A staff session's write needs the permissions the view declares for the action:
    `write_permissions = {"disconnect": ("disconnect this connection", ["integrations_core.change_connection"])}`.
    Reads (GET, HEAD, OPTIONS) and API keys pass; refused -> 403 `permission_denied`, before anything is written."""

    message = "You may not do this."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS or supplier_of(request.user) is not None:
            return True
        what, perms = getattr(view, "write_permissions", {}).get(getattr(view, "action", None), (None, None))
        if perms is None:  # a write nobody declared: staff may not make it
            self.message = "Staff may not make this change through the API."
            return False
        missing = [perm for perm in perms if not request.user.has_perm(perm)]
        if missing:
            noun = "permission" if len(missing) == 1 else "permissions"
            self.message = f"You may not {what}: it needs the {noun} {', '.join(missing)}."
            return False
        return True
