"""Deployment checks (`manage.py check --deploy`) for what Django's own checks cannot know."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def field_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if settings.FIELD_ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "FIELD_ENCRYPTION_KEYS is not set: connection API keys are encrypted with a key "
            "derived from SECRET_KEY, so rotating SECRET_KEY would make them unreadable.",
            hint=(
                "Set FIELD_ENCRYPTION_KEYS to a Fernet key (see the README's "
                '"Deploying for a team"); rotate with `manage.py rotate_encryption_keys`.'
            ),
            id="assistants_app.W001",
        )
    ]
