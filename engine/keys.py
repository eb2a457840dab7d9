"""Engine API keys as plain data, for the dashboard's "Engine keys" page (administrators).

The dashboard never imports the engine's models; this small service is the boundary it uses
instead (like `engine.auth.dashboard_key`). A raw key exists only in what `create_key` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import EngineKey


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _info(key: EngineKey) -> KeyInfo:
    return KeyInfo(
        id=key.pk,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        created_by=key.created_by.get_username() if key.created_by else "",
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


def list_keys() -> list[KeyInfo]:
    """Every key, newest first (revoked ones too: they say who had access until when)."""
    return [_info(key) for key in EngineKey.objects.select_related("created_by")]


def create_key(name: str, *, created_by: Any = None) -> tuple[KeyInfo, str]:
    """A new key and its raw value, to be shown once and never stored."""
    key, raw = EngineKey.issue(name, created_by=created_by)
    return _info(key), raw


def revoke_key(key_id: int) -> KeyInfo | None:
    """Revoke the key (it stops working at once); None when there is no such key."""
    key = EngineKey.objects.filter(pk=key_id).select_related("created_by").first()
    if key is None:
        return None
    key.revoke()
    return _info(key)
