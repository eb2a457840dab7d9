from django.http import HttpRequest

from ..models import Connection
from ..services import AssistantsClient, client_for


def fragment(request: HttpRequest, template: str, partial: str) -> str:
    """The page's template, or just one of its {% partialdef %} blocks for an htmx request."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def backend(connection: Connection, **overrides) -> AssistantsClient:
    """The client for a page view: one retry only, so a backend that is down is reported in
    about a second instead of keeping a person waiting through the full retry policy."""
    return client_for(connection, **{"max_retries": 1, **overrides})
