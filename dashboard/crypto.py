"""Encryption at rest for secrets such as connection and model-provider API keys (Fernet,
with key rotation).

FIELD_ENCRYPTION_KEYS holds one or more Fernet keys, comma-separated: the first encrypts, all
decrypt, so a new key is put first and `manage.py rotate_encryption_keys` re-encrypts old rows.
In development (no keys set) a key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(f"field-encryption:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS holds an invalid key: {error}"
        ) from error


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS; "
            "was a key removed before rotation?"
        ) from error


def mask(secret: str) -> str:
    """What a page may show of a secret: its last four characters."""
    return f"…{secret[-4:]}" if len(secret) > 8 else "…" if secret else ""


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token; Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
