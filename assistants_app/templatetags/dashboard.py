from datetime import UTC, datetime

from django import template
from django.utils.safestring import SafeString, mark_safe

from ..rendering import pretty_json, render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Message text as sanitised HTML (see rendering.render_markdown)."""
    return mark_safe(render_markdown(text))  # noqa: S308 - nh3 has sanitised it


@register.filter
def pretty(text: str | None) -> str:
    return pretty_json(text)


@register.filter
def unix_time(timestamp: int | float | None) -> datetime | None:
    """An API timestamp (seconds since the epoch) as an aware datetime for |date."""
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None
