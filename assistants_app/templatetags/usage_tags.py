"""{% thread_tokens thread %}: the tokens every run of a thread used, on the built-in engine."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def thread_tokens(thread) -> str:
    if not thread.connection.is_builtin:
        return ""  # another backend keeps its own accounts
    from engine import usage

    tokens = usage.thread_tokens(thread.thread_id)
    return f"{tokens:,} tokens so far" if tokens else ""
