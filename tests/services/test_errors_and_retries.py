"""Error mapping and the retry policy, against respx at the client's transport boundary."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from assistants_app.error_words import in_words
from assistants_app.services import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AssistantsClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)

from .conftest import message_json, run_json, url


def error_body(message: str, *, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param,
                      "code": code}}  # fmt: skip


ASSISTANT = {"id": "asst_1", "object": "assistant", "model": "demo", "tools": []}


def test_429_with_retry_after_then_success(client, clock, respx_mock):
    route = respx_mock.get(url("assistants/asst_1")).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}, json=error_body("Slow down")),
            httpx.Response(200, json=ASSISTANT),
        ]
    )
    assert client.assistants.retrieve("asst_1").id == "asst_1"
    assert route.call_count == 2
    assert clock.sleeps == [1.0]


def test_retry_after_ms_is_preferred(client, clock, respx_mock):
    respx_mock.get(url("assistants/asst_1")).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after-ms": "250", "Retry-After": "3"}),
            httpx.Response(200, json=ASSISTANT),
        ]
    )
    client.assistants.retrieve("asst_1")
    assert clock.sleeps == [0.25]


def test_500_twice_then_success_with_exponential_backoff(client, clock, respx_mock):
    route = respx_mock.get(url("threads/thread_1/runs/run_1")).mock(
        side_effect=[
            httpx.Response(500, json=error_body("boom")),
            httpx.Response(502, text="Bad gateway"),
            httpx.Response(200, json=run_json(status="completed")),
        ]
    )
    run = client.threads.runs.retrieve("run_1", thread_id="thread_1")
    assert run.status == "completed"
    assert route.call_count == 3
    first, second = clock.sleeps
    assert 0.375 <= first <= 0.5  # 0.5 s minus up to 25 % jitter
    assert 0.75 <= second <= 1.0


def test_retries_stop_after_max_retries(client, clock, respx_mock):
    route = respx_mock.get(url("assistants/asst_1")).respond(503, json=error_body("down"))
    with pytest.raises(InternalServerError) as caught:
        client.assistants.retrieve("asst_1")
    assert route.call_count == 3  # the first try and max_retries=2
    assert caught.value.status == 503
    assert "internal problem" in in_words(caught.value)


def test_retry_after_beyond_the_cap_is_not_waited_for(client, clock, respx_mock):
    route = respx_mock.get(url("assistants/asst_1")).respond(
        429, headers={"Retry-After": "120"}, json=error_body("Quota", code="rate_limit_exceeded")
    )
    with pytest.raises(RateLimitError) as caught:
        client.assistants.retrieve("asst_1")
    assert route.call_count == 1
    assert clock.sleeps == []
    assert caught.value.retry_after == 120.0
    assert caught.value.code == "rate_limit_exceeded"


def test_x_should_retry_false_is_obeyed(client, clock, respx_mock):
    route = respx_mock.get(url("assistants/asst_1")).respond(
        500, headers={"x-should-retry": "false"}
    )
    with pytest.raises(InternalServerError):
        client.assistants.retrieve("asst_1")
    assert route.call_count == 1


def test_x_should_retry_true_never_repeats_a_create(client, clock, respx_mock):
    # The message may already be saved: a retry could post it twice, whatever the header says.
    route = respx_mock.post(url("threads/thread_1/messages")).respond(
        500, headers={"x-should-retry": "true"}
    )
    with pytest.raises(InternalServerError):
        client.threads.messages.create("thread_1", role="user", content="hello")
    assert route.call_count == 1


def test_connection_refused_is_retried_then_reported(client, clock, respx_mock):
    route = respx_mock.get(url("assistants/asst_1")).mock(
        side_effect=httpx.ConnectError("[Errno 111] Connection refused")
    )
    with pytest.raises(APIConnectionError) as caught:
        client.assistants.retrieve("asst_1")
    assert route.call_count == 3
    assert len(clock.sleeps) == 2
    assert not isinstance(caught.value, APITimeoutError)
    assert caught.value.status is None
    assert "could not be reached" in in_words(caught.value)


def test_connection_refused_over_real_tcp():
    # A port nobody listens on: the real transport, no respx.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = AssistantsClient(base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        client.threads.messages.create("thread_1", role="user", content="hi")
    assert "ConnectError" in caught.value.message
    client.close()


def test_create_message_is_retried_when_the_connection_failed_before_sending(
    client, clock, respx_mock
):
    route = respx_mock.post(url("threads/thread_1/messages")).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=message_json("m1"))]
    )
    assert client.threads.messages.create("thread_1", role="user", content="hi").id == "m1"
    assert route.call_count == 2


def test_read_timeout_on_create_message_is_not_repeated(client, clock, respx_mock):
    route = respx_mock.post(url("threads/thread_1/messages")).mock(
        side_effect=httpx.ReadTimeout("timed out")
    )
    with pytest.raises(APITimeoutError) as caught:
        client.threads.messages.create("thread_1", role="user", content="hello")
    assert route.call_count == 1  # it may have arrived: sending again could post it twice
    assert clock.sleeps == []
    assert "too long" in in_words(caught.value)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response"),
        httpx.Response(500, json=error_body("crashed after saving?")),
        httpx.Response(502),
    ],
    ids=["read-timeout", "dropped", "500", "502"],
)
def test_run_creation_is_not_repeated_when_it_may_have_started(client, respx_mock, failure):
    route = respx_mock.post(url("threads/thread_1/runs")).mock(
        side_effect=[failure, httpx.Response(200, json=run_json())]
    )
    with pytest.raises((APITimeoutError, APIConnectionError, InternalServerError)):
        client.threads.runs.create("thread_1", assistant_id="asst_1")
    assert route.call_count == 1


def test_submit_tool_outputs_is_retried_after_a_refusal_with_the_same_idempotency_key(
    client, clock, respx_mock
):
    route = respx_mock.post(url("threads/thread_1/runs/run_1/submit_tool_outputs")).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after-ms": "10"}),
            httpx.Response(409, json=error_body("busy")),
            httpx.Response(200, json=run_json(status="queued")),
        ]
    )
    client.threads.runs.submit_tool_outputs(
        "run_1", thread_id="thread_1", tool_outputs=[{"tool_call_id": "call_1", "output": "42"}]
    )
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert route.call_count == 3
    assert len(keys) == 1
    assert clock.sleeps[0] == 0.01


def test_read_timeout_on_a_get_is_retried(client, clock, respx_mock):
    route = respx_mock.get(url("threads/thread_1")).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": "thread_1"})]
    )
    assert client.threads.retrieve("thread_1").id == "thread_1"
    assert route.call_count == 2


def test_timeouts_are_explicit_and_overridable(respx_mock):
    client = AssistantsClient(base_url="https://api.test/v1", api_key="k", timeout=7.5)
    route = respx_mock.get(url("threads/t")).respond(json={"id": "t"})
    client.threads.retrieve("t")
    client.threads.retrieve("t", timeout=1.0)
    first, second = (call.request.extensions["timeout"] for call in route.calls)
    assert first == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}
    assert second["read"] == 1.0


def test_malformed_json_is_a_response_validation_error(client, respx_mock):
    respx_mock.get(url("assistants/asst_1")).respond(
        200, content=b'{"id": "asst_1", "object": ', headers={"content-type": "application/json"}
    )
    with pytest.raises(APIResponseValidationError) as caught:
        client.assistants.retrieve("asst_1")
    assert "is not JSON" in caught.value.message
    assert "does not understand" in in_words(caught.value)


def test_a_body_of_the_wrong_shape_is_a_response_validation_error(client, respx_mock):
    respx_mock.get(url("threads/thread_1/runs/run_1")).respond(json={"object": "thread.run"})
    with pytest.raises(APIResponseValidationError, match="does not fit Run"):
        client.threads.runs.retrieve("run_1", thread_id="thread_1")


def test_400_with_param_surfaces_on_the_right_field(client, respx_mock):
    respx_mock.post(url("assistants")).respond(
        400,
        headers={"x-request-id": "req_123"},
        json=error_body(
            "Invalid 'tools[0].function.name': string does not match pattern.",
            param="tools[0].function.name",
            code="invalid_value",
        ),
    )
    with pytest.raises(BadRequestError) as caught:
        client.assistants.create(model="demo", name="Helper")
    error = caught.value
    assert (error.status, error.code, error.request_id) == (400, "invalid_value", "req_123")
    assert error.param == "tools[0].function.name"
    assert error.type == "invalid_request_error"
    assert error.field_errors() == {"tools": [error.message]}
    assert in_words(error) == (
        "The assistant service did not accept the request: "
        "Invalid 'tools[0].function.name': string does not match pattern."
    )
    assert "req_123" in str(error)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_each_status_has_its_class(respx_mock, status, cls):
    client = AssistantsClient(base_url="https://api.test/v1", api_key="k", max_retries=0)
    respx_mock.delete(url("threads/t")).respond(status, json=error_body(f"status {status}"))
    with pytest.raises(cls) as caught:
        client.threads.delete("t")
    assert type(caught.value) is cls
    assert caught.value.status == status
    assert caught.value.message == f"status {status}"
    assert not hasattr(caught.value, "user_message")  # sentences are chosen by in_words


def test_401_explains_itself_to_a_person(client, respx_mock):
    respx_mock.get(url("assistants")).respond(
        401, json=error_body("Incorrect API key provided: sk-te…test.", code="invalid_api_key")
    )
    with pytest.raises(AuthenticationError) as caught:
        client.assistants.list()
    assert in_words(caught.value) == (
        "The backend rejected the API key; ask an administrator to check the connection. "
        "(The service said: Incorrect API key provided: sk-te…test.)"
    )


def test_an_error_body_that_is_not_json_still_maps(client, respx_mock):
    respx_mock.get(url("threads/t")).respond(404, text="<html>Not Found</html>")
    with pytest.raises(NotFoundError) as caught:
        client.threads.retrieve("t")
    assert caught.value.code is None
    assert "Not Found" in caught.value.message


def test_request_headers(client, respx_mock):
    route = respx_mock.post(url("threads")).respond(json={"id": "thread_1"})
    files = respx_mock.get(url("files/file-1")).respond(json={"id": "file-1"})
    client.threads.create(messages=[{"role": "user", "content": "hi"}])
    client.files.retrieve("file-1")
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == "Bearer sk-test"
    assert headers["OpenAI-Beta"] == "assistants=v2"
    assert headers["User-Agent"].startswith("AssistantStudio/")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(route.calls.last.request.content) == {
        "messages": [{"role": "user", "content": "hi"}]
    }
    assert "OpenAI-Beta" not in files.calls.last.request.headers  # as the SDK: /files has none


def test_organization_project_and_azure_options(respx_mock):
    route = respx_mock.get(url("threads/t")).respond(json={"id": "t"})
    AssistantsClient(
        base_url="https://api.test/v1", api_key="k", organization="org_1", project="proj_1"
    ).threads.retrieve("t")
    request = route.calls.last.request
    assert request.headers["OpenAI-Organization"] == "org_1"
    assert request.headers["OpenAI-Project"] == "proj_1"

    azure = AssistantsClient(
        base_url="https://api.test/v1", api_key="az-key", azure=True, api_version="2024-05-01"
    )
    azure.threads.retrieve("t")
    request = route.calls.last.request
    assert request.headers["api-key"] == "az-key"
    assert "Authorization" not in request.headers
    assert request.url.params["api-version"] == "2024-05-01"
    with pytest.raises(ValueError, match="api_version"):
        AssistantsClient(base_url="https://x/v1", api_key="k", azure=True)


def test_ids_are_required_and_escaped(client, respx_mock):
    route = respx_mock.get(url("threads/a%2F..%2Fb")).respond(json={"id": "x"})
    client.threads.retrieve("a/../b")
    assert route.called
    with pytest.raises(ValueError, match="thread_id"):
        client.threads.messages.list("")


@pytest.mark.parametrize("status", [408, 409, 429])
def test_a_refusal_is_retried_even_for_a_new_message(client, clock, respx_mock, status):
    # These statuses say the backend did not act: sending again cannot post the message twice.
    route = respx_mock.post(url("threads/thread_1/messages")).mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json=message_json("m1"))]
    )
    assert client.threads.messages.create("thread_1", role="user", content="hi").id == "m1"
    assert route.call_count == 2
    assert len(clock.sleeps) == 1
