from django.http import HttpRequest

from ..models import Connection
from ..services import AssistantsClient, AssistantsError, client_for


def fragment(request: HttpRequest, template: str, partial: str) -> str:
    """The page's template, or just one of its {% partialdef %} blocks for an htmx request."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def backend(connection: Connection, **overrides) -> AssistantsClient:
    """The client for a page view: one retry only, so a backend that is down is reported in
    about a second instead of keeping a person waiting through the full retry policy."""
    return client_for(connection, **{"max_retries": 1, **overrides})


def in_words(error: AssistantsError) -> str:
    """What a page says of a backend error: the client's sentence for a person, plus the
    API's own words when they add something."""
    detail = getattr(error, "message", "")
    if detail and detail not in error.user_message:
        return f"{error.user_message} (The service said: {detail})"
    return error.user_message
