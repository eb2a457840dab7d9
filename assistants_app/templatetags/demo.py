from django import template

from ..demo_notice import runs_on_demo

register = template.Library()


@register.inclusion_tag("assistants/demo_notice.html", takes_context=True)
def demo_notice(context, connection, model: str) -> dict:
    """Once on a page: this assistant answers with the offline demo model, not an AI; an
    administrator is told where to connect a real one."""
    return {"on_demo": runs_on_demo(connection, model or ""), "perms": context.get("perms")}
