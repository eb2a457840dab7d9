"""Page views give their database connection back before each backend call (views.backend):
the backend is often the engine on the same server, which needs a pooled connection of its own
to answer, so pages that held theirs while waiting would exhaust the pool (PostgreSQL under
`make serve`: 500 people sending at once deadlocked until the pool's timeout). Checked on the
wire, so it holds on SQLite too; run it on PostgreSQL with DATABASE_URL set as well."""

from __future__ import annotations

import threading

import httpx
import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from assistants_app.models import Connection, RunRecord, VectorStoreRecord

from .support import builder_data
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


def given_back(calls: list[tuple[str, str, bool]], *expected: tuple[str, str]) -> None:
    """Each `expected` (method, path) was called, and no call held a database connection."""
    made = [call[:2] for call in calls]
    assert all(call in made for call in expected), calls
    assert [call for call in calls if call[2]] == [], calls


def test_saving_an_assistant_holds_no_connection_while_the_engine_answers(
    client, owner, api, engine_calls
):
    assistant = api.assistants.create(model="demo", name="Before")
    client.force_login(owner)
    engine_calls.clear()
    url = reverse("assistant_edit", args=[assistant.id])
    response = client.post(url, builder_data(name="After"))
    calls = list(engine_calls)  # before the test's own check below goes on the wire too
    assert response.status_code == 302
    assert api.assistants.retrieve(assistant.id).name == "After"
    given_back(calls, ("GET", f"/v1/assistants/{assistant.id}"))
    given_back(calls, ("POST", f"/v1/assistants/{assistant.id}"))


def test_the_files_page_holds_no_connection_while_the_engine_answers(
    client, owner, engine, engine_calls
):
    client.force_login(owner)
    engine_calls.clear()
    response = client.get(reverse("file_list"))
    assert response.status_code == 200
    given_back(list(engine_calls), ("GET", "/v1/files"))


def test_a_vector_store_page_holds_no_connection_while_the_engine_answers(
    client, owner, api, engine_calls
):
    store = api.vector_stores.create(name="Manuals")
    VectorStoreRecord.objects.create(
        connection=Connection.objects.default(), vector_store_id=store.id, created_by=owner
    )
    client.force_login(owner)
    engine_calls.clear()
    url = reverse("vector_store_detail", args=[store.id])
    response = client.get(url, {"q": "warranty"})
    assert response.status_code == 200 and "Manuals" in response.content.decode()
    path = f"/v1/vector_stores/{store.id}"
    given_back(list(engine_calls), ("GET", path), ("POST", f"{path}/search"))
