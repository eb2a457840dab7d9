"""The chat page's stream under ASGI gives its database connection back before each backend
call: the backend is often the engine on the same server, which needs a pooled connection of
its own to answer, so turns that held theirs while waiting would exhaust the pool (PostgreSQL
under `make serve`). Run it on PostgreSQL with DATABASE_URL set."""

from __future__ import annotations

import threading

import httpx
import pytest
from django.db import connections
from django.test import AsyncClient
from django.urls import reverse

from assistants_app.models import RunRecord
from tests.support import run_async

from .test_stream import events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def engine_calls(monkeypatch, settings):
    """(method, path, whether the calling thread held a database connection) of each call the
    dashboard makes to the engine, seen as it goes on the wire (after httpx's hooks)."""
    seen: list[tuple[str, str, bool]] = []
    lock = threading.Lock()
    real = httpx.HTTPTransport.handle_request

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(settings.ENGINE_BASE_URL):
            held = any(c.connection is not None for c in connections.all(initialized_only=True))
            with lock:
                seen.append((request.method, request.url.path, held))
        return real(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return seen


def test_under_asgi_no_engine_call_is_made_holding_a_database_connection(
    owner, make_thread, engine_calls
):
    thread = make_thread(owner)

    async def converse():
        engine_calls.clear()  # the calls that set the thread up came from the test itself
        client = AsyncClient()
        await client.aforce_login(owner)
        response = await client.post(
            reverse("thread_send", args=[thread.pk]),
            {"content": "Hello pool"},
            headers={"HX-Request": "true", "Accept": "text/event-stream"},
        )
        return [chunk async for chunk in response.streaming_content]

    seen = events(run_async(converse()))
    assert seen[-1][0] == "done" and 'You said: "Hello pool"' in seen[-1][1]["html"]
    assert RunRecord.objects.get(thread=thread).status == "completed"
    # First the send view stores the message (views/threads.py, before the stream: not
    # covered here); then the prelude and each step read the conversation from the engine.
    (method, path, _), *streamed = engine_calls
    assert (method, path) == ("POST", f"/v1/threads/{thread.thread_id}/messages")
    assert len(streamed) >= 2, engine_calls
    assert [call for call in streamed if call[2]] == [], engine_calls
