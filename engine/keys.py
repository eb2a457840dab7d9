"""Engine API keys as plain data, for the dashboard's "Engine keys" page (administrators).

The dashboard never imports the engine's models; this small service is the boundary it uses
instead (like `engine.auth.dashboard_key`). A raw key exists only in what `create_key` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import EngineKey, TeamAccess

# (value, label) for a form: what a key may do with the team's assistants and vector stores.
TEAM_ACCESS_CHOICES: list[tuple[str, str]] = list(TeamAccess.choices)


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    team_access: str

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def team_access_label(self) -> str:
        return TeamAccess(self.team_access).label


def _info(key: EngineKey) -> KeyInfo:
    return KeyInfo(
        id=key.pk,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        created_by=key.created_by.get_username() if key.created_by else "",
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        team_access=key.team_access,
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


def set_team_access(key_id: int, access: str) -> tuple[KeyInfo, str] | None:
    """Set what the key may do with the team's assistants and vector stores it did not make
    (one of TEAM_ACCESS_CHOICES); the key as it is now and the access it had, or None when
    there is no such key. It applies to the key's next request."""
    key = EngineKey.objects.filter(pk=key_id).select_related("created_by").first()
    if key is None:
        return None
    before = key.team_access
    key.team_access = TeamAccess(access)
    key.save(update_fields=["team_access"])
    return _info(key), before
