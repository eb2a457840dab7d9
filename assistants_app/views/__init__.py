from django.http import HttpRequest


def fragment(request: HttpRequest, template: str, partial: str) -> str:
    """The page's template, or just one of its {% partialdef %} blocks for an htmx request."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template
