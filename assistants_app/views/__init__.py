from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

import httpx
from django.db import connections as databases  # `connections` is views/connections.py
from django.http import Http404, HttpRequest

from ..error_words import in_words
from ..models import Connection, ThreadRecord
from ..services import NOT_GIVEN, AssistantsClient, AssistantsError, client_for

__all__ = [
    "backend",
    "found",
    "fragment",
    "in_words",
    "page_http_client",
    "saying_errors",
    "send_message",
]

T = TypeVar("T")


def fragment(request: HttpRequest, template: str, partial: str) -> str:
    """The page's template, or just one of its {% partialdef %} blocks for an htmx request."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def backend(connection: Connection, **overrides) -> AssistantsClient:
    """The client for a page view: one retry only, so a backend that is down is reported in
    about a second instead of keeping a person waiting through the full retry policy; and no
    database connection is held while the backend answers (`page_http_client`)."""
    options = {"max_retries": 1, "http_client": page_http_client(), **overrides}
    return client_for(connection, **options)


def _return_connections(request: httpx.Request) -> None:
    """Give this thread's database connections back (to the pool, when there is one), except
    one in a transaction; the next query borrows one again. Before each backend call: the
    backend is often the engine on this same server, which needs a pooled connection to
    answer, so many requests each holding one while they wait would exhaust the pool."""
    for connection in databases.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


@cache
def page_http_client() -> httpx.Client:
    """The http client of page views that call the backend: each call gives this thread's
    database connections back first (the next query borrows one again)."""
    return httpx.Client(
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        event_hooks={"request": [_return_connections]},
    )


@contextmanager
def saying_errors(context: dict[str, Any], key: str = "error") -> Iterator[None]:
    """Run the block; a backend error is put in the page's context, in words, under `key`,
    and the page renders on with what it has (set its fallbacks before the block)."""
    try:
        yield
    except AssistantsError as error:
        context[key] = in_words(error)


def found(value: T | None, what: str) -> T:
    """`value`, or a 404 ("No such {what}.") when a service found nothing by that id."""
    if value is None:
        raise Http404(f"No such {what}.")
    return value


def send_message(
    client: AssistantsClient,
    thread: ThreadRecord,
    text: str,
    attachments: list,
    user,
    *,
    edit_of: str = "",
) -> None:
    """A person's message on the thread, with the files they attached and who sent it (the
    thread may be shared; `edit_of`: the message it rewrites); the local record notes it
    (activity, the first message's title)."""
    metadata = {"sent_by": user.get_username()}
    if edit_of:
        metadata["edit_of"] = edit_of
    client.threads.messages.create(
        thread.thread_id,
        role="user",
        content=text,
        attachments=attachments or NOT_GIVEN,
        metadata=metadata,
    )
    thread.note_user_message(text)
