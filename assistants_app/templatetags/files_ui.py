"""Template helpers of the Files and Vector stores pages and of the chat's files."""

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from ..files import max_upload_bytes

register = template.Library()


@register.filter
def filesize(count: int | None) -> str:
    """Django's filesizeformat, and a dash when the backend did not give the size."""
    return "—" if count is None else filesizeformat(count)


@register.simple_tag
def max_upload() -> int:
    return max_upload_bytes()


@register.filter
def score(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else ""


@register.filter
def python_code(code: str) -> SafeString:
    """Code the code interpreter ran, highlighted (Pygments escapes every character)."""
    html = highlight(code or "", PythonLexer(), HtmlFormatter(nowrap=True))
    return mark_safe(html)  # noqa: S308 - Pygments output: the code's text is escaped


@register.filter
def underscores_to_spaces(value: str) -> str:
    """An API status ("in_progress") in words ("in progress")."""
    return str(value).replace("_", " ")
