"""The chat views give their database connection back before each backend call: the backend
is often the engine on the same server, which needs a pooled connection of its own to answer,
so sends that held theirs while waiting would exhaust the pool (PostgreSQL under `make serve`:
500 people sending at once deadlocked until the pool's timeout). Checked on the wire, so it
holds on SQLite too; run it on PostgreSQL with DATABASE_URL set as well."""

from __future__ import annotations

import threading

import httpx
import pytest
from django.db import connections
from django.test import Client

from assistants_app.models import RunRecord

from .test_stream import events, post_stream, post_stream_under_asgi

pytestmark = pytest.mark.django_db(transaction=True)


def holding_a_connection() -> bool:
    return any(c.connection is not None for c in connections.all(initialized_only=True))


@pytest.fixture
def engine_calls(monkeypatch, settings):
    """(method, path, whether the calling thread held a database connection) of each call the
    dashboard makes to the engine, seen as it goes on the wire (after httpx's hooks)."""
    seen: list[tuple[str, str, bool]] = []
    lock = threading.Lock()
    real = httpx.HTTPTransport.handle_request

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(settings.ENGINE_BASE_URL):
            with lock:
                seen.append((request.method, request.url.path, holding_a_connection()))
        return real(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return seen


def post_stream_under_wsgi(person, thread, text: str) -> list[bytes]:
    client = Client()
    client.force_login(person)
    return list(post_stream(client, thread, text).streaming_content)


@pytest.mark.parametrize("handler", [post_stream_under_wsgi, post_stream_under_asgi])
def test_no_engine_call_of_a_send_is_made_holding_a_database_connection(
    owner, make_thread, engine_calls, handler
):
    thread = make_thread(owner)
    engine_calls.clear()  # the calls that set the thread up came from the test itself
    seen = events(handler(owner, thread, "Hello pool"))
    assert seen[-1][0] == "done" and 'You said: "Hello pool"' in seen[-1][1]["html"]
    assert RunRecord.objects.get(thread=thread).status == "completed"
    # The send view stores the message, then the prelude and each step read the conversation.
    assert engine_calls[0][:2] == ("POST", f"/v1/threads/{thread.thread_id}/messages")
    assert len(engine_calls) >= 3, engine_calls
    assert [call for call in engine_calls if call[2]] == [], engine_calls
