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


@register.filter
def made_by(submission) -> str:
    """Who (or what) gave a tool output and how, for the run steps: "answered automatically
    by the endpoint (HTTP 200, 35 ms)", "submitted by tomas (a saved reply)"."""
    from ..waiting import HOW

    endpoint = ""
    if submission.endpoint_status is not None:
        endpoint = f"HTTP {submission.endpoint_status}, {submission.endpoint_ms} ms"
    if submission.how == "automatic":
        return (
            f"answered automatically by the endpoint ({endpoint})" if endpoint else HOW["automatic"]
        )
    who = submission.submitted_by.get_username() if submission.submitted_by else "someone"
    how = HOW.get(submission.how, submission.how)
    if endpoint and submission.how.startswith("endpoint"):
        how = f"{how}: {endpoint}"
    return f"submitted by {who} ({how})"
