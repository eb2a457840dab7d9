import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def json_value(value: Any) -> str:
    """A field's value in the History page: text as written, anything else as indented JSON
    (escaped by the template like any text)."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)
