"""SSE framing and the typed events of `stream=True` calls."""

from __future__ import annotations

import json

import httpx
import pytest

from assistants_app.error_words import in_words
from assistants_app.services import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    BadRequestError,
    types,
)
from assistants_app.services.streaming import ServerSentEvent, iter_sse

from .conftest import message_json, run_json, url

RUNS = url("threads/thread_1/runs")
SSE = {"content-type": "text/event-stream; charset=utf-8"}


def sse(*events: tuple[str, object]) -> bytes:
    return "".join(
        f"event: {name}\ndata: {data if isinstance(data, str) else json.dumps(data)}\n\n"
        for name, data in events
    ).encode()


def test_the_decoder_follows_the_sse_rules():
    lines = [
        ": a comment, ignored",
        "event: thread.message.delta",
        'data: {"a":',
        "data: 1}",
        "id: 7",
        "retry: 1000",
        "",
        "",
        "data:no-space",
        "",
        "event: last",
        "data: x",
    ]
    assert list(iter_sse(lines)) == [
        ServerSentEvent(event="thread.message.delta", data='{"a":\n1}', id="7"),
        ServerSentEvent(event=None, data="no-space", id="7"),
        ServerSentEvent(event="last", data="x", id="7"),
    ]


def test_a_stream_of_typed_events_ending_at_done(client, respx_mock):
    body = sse(
        ("thread.run.created", run_json()),
        ("thread.message.created", message_json("msg_1", role="assistant", content=[])),
        (
            "thread.message.delta",
            {"id": "msg_1", "object": "thread.message.delta",
             "delta": {"content": [{"index": 0, "type": "text", "text": {"value": "Hi"}}]}},
        ),
        ("thread.run.completed", run_json(status="completed")),
        ("done", "[DONE]"),
        ("thread.run.failed", run_json(status="failed")),  # after [DONE]: never read
    )  # fmt: skip
    respx_mock.post(RUNS).respond(content=body, headers=SSE)
    stream = client.threads.runs.create("thread_1", assistant_id="asst_1", stream=True)
    events = list(stream)
    assert [type(e) for e in events] == [
        types.RunEvent,
        types.MessageEvent,
        types.MessageDeltaEvent,
        types.RunEvent,
    ]
    assert events[2].data.text == "Hi"
    assert stream.current_run.status == "completed"
    assert stream.response.is_closed


def test_crlf_framing_and_no_done_end_cleanly(client, respx_mock):
    body = sse(("thread.run.created", run_json())).replace(b"\n", b"\r\n")
    respx_mock.post(RUNS).respond(content=body, headers=SSE)
    with client.threads.runs.create("thread_1", assistant_id="asst_1", stream=True) as stream:
        run = stream.until_done()
    assert run.id == "run_1"


@pytest.mark.parametrize(
    "payload",
    [
        {"error": {"message": "The model is overloaded", "type": "server_error",
                   "param": None, "code": "server_error"}},
        {"message": "The model is overloaded", "type": "server_error", "param": None,
         "code": "server_error"},
    ],
    ids=["wrapped", "bare"],
)  # fmt: skip
def test_a_mid_stream_error_event_raises(client, respx_mock, payload):
    body = sse(("thread.run.created", run_json()), ("error", payload), ("done", "[DONE]"))
    respx_mock.post(RUNS).respond(content=body, headers={**SSE, "x-request-id": "req_stream"})
    stream = client.threads.runs.create("thread_1", assistant_id="asst_1", stream=True)
    assert isinstance(next(stream), types.RunEvent)
    with pytest.raises(APIStreamError) as caught:
        next(stream)
    assert caught.value.message == "The model is overloaded"
    assert caught.value.code == "server_error"
    assert in_words(caught.value) == (
        "The assistant stopped with an error while answering; please try again. "
        "(The service said: The model is overloaded)"
    )
    assert caught.value.request_id == "req_stream"


def test_unknown_events_are_kept_not_fatal(client, respx_mock):
    body = sse(("thread.run.thinking", {"id": "x", "depth": 3}), ("done", "[DONE]"))
    respx_mock.post(RUNS).respond(content=body, headers=SSE)
    (event,) = list(client.threads.runs.create("thread_1", assistant_id="asst_1", stream=True))
    assert isinstance(event, types.UnknownEvent)
    assert event.data == {"id": "x", "depth": 3}


def test_data_that_is_not_json_is_a_response_validation_error(client, respx_mock):
    respx_mock.post(RUNS).respond(content=sse(("thread.run.created", "{oops")), headers=SSE)
    stream = client.threads.runs.create("thread_1", assistant_id="asst_1", stream=True)
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        list(stream)


def test_a_stream_cut_off_midway_is_a_connection_error(client, respx_mock):
    def chunks():
        yield sse(("thread.run.created", run_json()))
        raise httpx.ReadError("connection reset by peer")

    respx_mock.post(RUNS).respond(stream=chunks(), headers=SSE)
    stream = client.threads.runs.create("thread_1", assistant_id="asst_1", stream=True)
    assert isinstance(next(stream), types.RunEvent)
    with pytest.raises(APIConnectionError, match="cut off"):
        next(stream)


def test_an_error_status_before_the_stream_maps_as_usual(client, respx_mock):
    route = respx_mock.post(RUNS).respond(
        400,
        json={"error": {"message": "Thread thread_1 already has an active run run_0.",
                        "type": "invalid_request_error", "param": None, "code": None}},
    )  # fmt: skip
    with pytest.raises(BadRequestError, match="already has an active run"):
        client.threads.runs.create("thread_1", assistant_id="asst_1", stream=True)
    assert route.call_count == 1


def test_a_json_answer_to_a_stream_request_is_refused(client, respx_mock):
    respx_mock.post(RUNS).respond(json=run_json())
    with pytest.raises(APIResponseValidationError, match="Asked for a stream"):
        client.threads.runs.create("thread_1", assistant_id="asst_1", stream=True)
