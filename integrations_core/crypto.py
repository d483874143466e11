"""Credentials at rest: MultiFernet over the keys in settings (newest first), so keys can rotate."""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    """The MultiFernet for the configured keys."""
    return _fernet(tuple(settings.INTEGRATIONS_ENCRYPTION_KEYS))


def encrypt_json(value: dict) -> str:
    """Encrypt a JSON-able dict to a Fernet token (text)."""
    return fernet().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()


def decrypt_json(token: str) -> dict:
    """Decrypt a token written by `encrypt_json`; raises `InvalidToken` if no configured key fits."""
    return json.loads(fernet().decrypt(token.encode()))


class EncryptedJSONField(models.TextField):
    """A dict stored as a Fernet token. Never readable in the database, a dump or the admin."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        try:
            return decrypt_json(value)
        except InvalidToken:
            # A key was retired before this row was re-encrypted: treat as no credentials (the
            # connection then shows expired and asks for a reconnect) rather than failing the read.
            return {}

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        return self.from_db_value(value, None, None)

    def get_prep_value(self, value):
        if not value:
            return ""
        return encrypt_json(value)

    def value_to_string(self, obj):
        return ""  # never serialise secrets (dumpdata, admin history)
