from django import template

register = template.Library()


@register.filter
def seconds_left(seconds: int | None) -> str:
    """Seconds before a waiting run expires, in words."""
    if seconds is None:
        return ""
    if seconds <= 0:
        return "expired"
    return f"{seconds // 60} min {seconds % 60} s left"


@register.filter
def can_change(reply, user) -> bool:
    return reply.can_change(user)


@register.simple_tag
def card_helps(state) -> dict:
    """The chat card's saved replies and endpoint answers, {call_id: CallHelp}."""
    from ..waiting import card_help

    return card_help(state.record, state.tool_form.tool_calls)


@register.filter
def help_for(helps: dict, call: dict):
    return helps.get(call["id"])
