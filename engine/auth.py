"""Who may call /v1: `Authorization: Bearer <key>` with an issued key (stored hashed) or the
dashboard's own key, derived from SECRET_KEY so the built-in connection works without anyone
creating a key. The dashboard imports only `dashboard_key` from the engine."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest

_DASHBOARD_KEY_PREFIX = "sk-studio-dashboard-"


class AuthError(Exception):
    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def dashboard_key() -> str:
    """The built-in connection's key: an HMAC of SECRET_KEY, stable across restarts and
    different for every deployment. Rotating SECRET_KEY rotates it."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"assistant-studio/engine/dashboard-key", hashlib.sha256
    ).hexdigest()
    return _DASHBOARD_KEY_PREFIX + digest


def _masked(raw: str) -> str:
    return f"{raw[:6]}…{raw[-4:]}" if len(raw) > 12 else "…"


def authenticate(request: HttpRequest) -> None:
    """Set request.engine_key (None for the dashboard's key) or raise AuthError."""
    from .models import EngineKey

    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        raise AuthError(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). "
            "Staff create keys with `python manage.py engine_key create --name NAME`."
        )
    if raw.startswith(_DASHBOARD_KEY_PREFIX) and hmac.compare_digest(raw, dashboard_key()):
        request.engine_key = None  # type: ignore[attr-defined]
        return
    key = EngineKey.authenticate(raw)
    if key is None:
        raise AuthError(
            f"Incorrect API key provided: {_masked(raw)}. The key is unknown or was revoked.",
            code="invalid_api_key",
        )
    request.engine_key = key  # type: ignore[attr-defined]
