"""API keys of the storefront: create (shown once), authenticate, revoke. Only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from .errors import InvalidInput, NotFound
from .models import ApiKey, Supplier

_KEY_PREFIX = "ik_"


def _hash(raw_key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is as safe as a slow one and costs nothing per request.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, supplier: Supplier, name: str = "", created_by=None) -> tuple[ApiKey, str]:
    """Make a new key for `supplier`.

    :return: (the stored key, the raw key). The raw key is never stored: show it once.
    """
    prefix = _KEY_PREFIX + secrets.token_hex(4)
    raw = f"{prefix}.{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(supplier=supplier, name=name[:100], prefix=prefix, hashed_key=_hash(raw),
                                created_by=created_by)
    return key, raw


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None. Records when it was last used (at most once a minute)."""
    if not raw_key or not raw_key.startswith(_KEY_PREFIX):
        return None
    key = (ApiKey.objects.select_related("supplier")
           .filter(hashed_key=_hash(raw_key), revoked_at__isnull=True).first())
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key: it stops working at once. Revoking twice changes nothing."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def supplier_lookup(*, ref: str) -> Supplier:
    """A supplier by id or exact name (case-insensitive). :raises NotFound, InvalidInput: none or blank."""
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput("Name a supplier by id or name.", field_errors={"supplier": ["This field is required."]})
    supplier = None
    if ref.isdigit():
        supplier = Supplier.objects.filter(pk=int(ref)).first()
    if supplier is None:
        supplier = Supplier.objects.filter(name__iexact=ref).first()
    if supplier is None:
        raise NotFound(f"No supplier with id or name {ref!r}.")
    return supplier
