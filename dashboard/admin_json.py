"""JSON in the admin site, pretty-printed: for the dashboard's records and the engine's alike
(neither app imports the other's admin)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.utils.html import format_html


def pretty(value: Any) -> str:
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, default=str),
    )


def json_column(field: str, description: str | None = None) -> Callable[[Any, Any], str]:
    """A ModelAdmin method (a column or a read-only field) showing `field` pretty-printed;
    titled `description`, or the field's name in words."""

    def show(model_admin: Any, obj: Any) -> str:
        return pretty(getattr(obj, field))

    show.short_description = description or field.replace("_", " ")  # type: ignore[attr-defined]
    return show
