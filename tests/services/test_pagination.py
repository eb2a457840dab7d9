"""Cursor pages: three pages forwards (after=) and backwards (before=), and their queries."""

from __future__ import annotations

import httpx

from .conftest import message_json, url

# Nine messages, newest first (order=desc, the API's default): m9 … m1.
MESSAGES = [message_json(f"m{n}", text=f"message {n}") for n in range(9, 0, -1)]


def page_of(items: list[dict], has_more: bool) -> dict:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": has_more,
    }


def serve_cursor_pages(request: httpx.Request) -> httpx.Response:
    """A tiny cursor server over MESSAGES, as the API pages: limit, after, before."""
    params = request.url.params
    limit = int(params.get("limit", 20))
    ids = [item["id"] for item in MESSAGES]
    if "after" in params:
        start = ids.index(params["after"]) + 1
        chunk = MESSAGES[start : start + limit]
        has_more = start + limit < len(MESSAGES)
    elif "before" in params:
        end = ids.index(params["before"])
        chunk = MESSAGES[max(end - limit, 0) : end]
        has_more = end - limit > 0
    else:
        chunk = MESSAGES[:limit]
        has_more = limit < len(MESSAGES)
    return httpx.Response(200, json=page_of(chunk, has_more))


def test_three_pages_forwards(client, respx_mock):
    route = respx_mock.get(url("threads/thread_1/messages")).mock(side_effect=serve_cursor_pages)

    first = client.threads.messages.list("thread_1", limit=3, order="desc")
    assert [m.id for m in first.data] == ["m9", "m8", "m7"]
    assert (first.first_id, first.last_id, first.has_more) == ("m9", "m7", True)

    everything = [message.id for message in first]
    assert everything == [f"m{n}" for n in range(9, 0, -1)]
    queries = [dict(call.request.url.params) for call in route.calls]
    assert queries == [
        {"limit": "3", "order": "desc"},
        {"limit": "3", "order": "desc", "after": "m7"},
        {"limit": "3", "order": "desc", "after": "m4"},
    ]


def test_three_pages_backwards(client, respx_mock):
    # Start past the end with before=: walking continues with before=<first id>.
    MESSAGES.append(message_json("m0"))
    try:
        route = respx_mock.get(url("threads/thread_1/messages")).mock(
            side_effect=serve_cursor_pages
        )
        last = client.threads.messages.list("thread_1", limit=3, before="m0")
        assert last.backwards
        pages = [[m.id for m in page.data] for page in last.iter_pages()]
    finally:
        MESSAGES.pop()
    assert pages == [["m3", "m2", "m1"], ["m6", "m5", "m4"], ["m9", "m8", "m7"]]
    assert [call.request.url.params["before"] for call in route.calls] == ["m0", "m3", "m6"]


def test_explicit_next_and_previous_pages(client, respx_mock):
    respx_mock.get(url("threads/thread_1/messages")).mock(side_effect=serve_cursor_pages)
    first = client.threads.messages.list("thread_1", limit=3)
    second = first.next_page()
    assert [m.id for m in second.data] == ["m6", "m5", "m4"]
    back = second.previous_page()
    assert [m.id for m in back.data] == ["m9", "m8", "m7"]
    assert not back.has_more  # nothing newer than m9


def test_walking_stops_on_an_empty_page_even_if_has_more_lies(client, respx_mock):
    route = respx_mock.get(url("assistants")).mock(
        side_effect=[
            httpx.Response(200, json=page_of([{"id": "a1"}], True)),
            httpx.Response(200, json=page_of([], True)),
        ]
    )
    assert [a.id for a in client.assistants.list()] == ["a1"]
    assert route.call_count == 2


def test_pages_without_first_and_last_ids_use_the_items(client, respx_mock):
    route = respx_mock.get(url("threads/t/runs")).mock(
        side_effect=[
            httpx.Response(200, json={"object": "list", "data": [{"id": "r2"}], "has_more": True}),
            httpx.Response(200, json={"object": "list", "data": [{"id": "r1"}], "has_more": False}),
        ]
    )
    assert [r.id for r in client.threads.runs.list("t")] == ["r2", "r1"]
    assert route.calls.last.request.url.params["after"] == "r2"


def test_limit_is_checked_before_sending(client, respx_mock):
    import pytest

    from assistants_app.services import InvalidRequestError

    route = respx_mock.get(url("assistants")).respond(json=page_of([], False))
    with pytest.raises(InvalidRequestError) as caught:
        client.assistants.list(limit=101)
    assert "limit" in caught.value.field_errors()
    assert not route.called


def test_models_list_is_one_page(client, respx_mock):
    respx_mock.get(url("models")).respond(
        json={"object": "list", "data": [{"id": "demo", "object": "model", "owned_by": "studio"}]}
    )
    page = client.models.list()
    assert [model.id for model in page] == ["demo"]
    assert not page.has_more
