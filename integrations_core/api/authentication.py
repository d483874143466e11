"""API-key authentication: `Authorization: Api-Key <key>` (or `Bearer <key>`) names the supplier."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from ..api_keys import api_key_authenticate

KEYWORDS = ("api-key", "bearer")


class SupplierPrincipal:
    """The caller behind an API key: acts for exactly one supplier, never as staff."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True
    pk = None

    def __init__(self, key):
        self.api_key = key
        self.supplier = key.supplier

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix} of {self.supplier}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Api-Key <key>'.")
        key = api_key_authenticate(raw_key=header[1])
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        return SupplierPrincipal(key), key

    def authenticate_header(self, request) -> str:
        return 'Api-Key realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Api-Key <key>`; create a key with `manage.py api_key SUPPLIER` or in the admin."}
