"""The chat-completions provider against a local chat-completions server, over real HTTP."""

from __future__ import annotations

import json
import socket
import time

import pytest

from engine.providers.base import (
    ChatMessage,
    ChatRequest,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
)
from engine.providers.chat_completions import ChatCompletionsProvider
from tests.fakes.chat_server import Fail, Hang, Raw, Reply

from .streams import assemble

KEY = "sk-secret-0123456789abcdef"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": None,
    },
}


@pytest.fixture
def provider(chat_server):
    provider = ChatCompletionsProvider(
        base_url=chat_server.base_url,
        api_key=KEY,
        models=["fake-model"],
        timeout=2.0,
        max_retries=0,
    )
    yield provider
    provider.close()


def simple(text: str = "Hi", **options) -> ChatRequest:
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", text)]
    return ChatRequest(model="fake-model", messages=messages, **options)


def failure(provider: ChatCompletionsProvider, request: ChatRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        list(provider.stream(request or simple()))
    assert KEY not in str(caught.value) and KEY not in caught.value.message
    return caught.value


# -- the request --------------------------------------------------------------------------


def test_request_carries_messages_tools_outputs_and_parameters(provider, chat_server):
    request = ChatRequest(
        model="fake-model",
        messages=[
            ChatMessage("system", "You are a weather bot."),
            ChatMessage("user", "Weather in Oslo?"),
            ChatMessage(
                "assistant",
                None,
                tool_calls=[ToolCall(id="call_1", name="get_weather", arguments='{"city":"Oslo"}')],
            ),
            ChatMessage("tool", '{"temp": 3}', tool_call_id="call_1"),
        ],
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=False,
        temperature=0.2,
        top_p=0.9,
        max_completion_tokens=300,
        response_format={"type": "json_object"},
        reasoning_effort="low",
    )
    list(provider.stream(request))
    [sent] = chat_server.chat_requests
    assert sent.method == "POST"
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body == {
        "model": "fake-model",
        "messages": [
            {"role": "system", "content": "You are a weather bot."},
            {"role": "user", "content": "Weather in Oslo?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "content": '{"temp": 3}', "tool_call_id": "call_1"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        # "strict": null is dropped: some servers refuse explicit nulls.
        "tools": [
            {
                "type": "function",
                "function": {k: v for k, v in WEATHER["function"].items() if k != "strict"},
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "parallel_tool_calls": False,
        "temperature": 0.2,
        "top_p": 0.9,
        "max_completion_tokens": 300,
        "response_format": {"type": "json_object"},
        "reasoning_effort": "low",
    }


def test_request_without_tools_or_options_sends_only_what_is_set(provider, chat_server):
    list(provider.stream(simple(tool_choice="auto", response_format="auto")))
    body = chat_server.chat_requests[0].body
    assert set(body) == {"model", "messages", "stream", "stream_options"}


def test_azure_style_endpoint_gets_api_key_header_and_api_version(chat_server):
    provider = ChatCompletionsProvider(
        base_url=chat_server.base_url + "/openai/deployments/{model}",
        api_key=KEY,
        models=["gpt-4o"],
        azure_api_version="2024-10-21",
        max_retries=0,
    )
    result = assemble(
        provider.stream(ChatRequest(model="gpt-4o", messages=[ChatMessage("user", "Hi")]))
    )
    assert result.text == "Echo: Hi"
    [sent] = chat_server.chat_requests
    assert sent.path == "/v1/openai/deployments/gpt-4o/chat/completions"
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == KEY
    assert "authorization" not in sent.headers


def test_no_key_sends_no_authorization(chat_server):
    provider = ChatCompletionsProvider(base_url=chat_server.base_url, max_retries=0)
    assert assemble(provider.stream(simple("Hi"))).text == "Echo: Hi"
    assert "authorization" not in chat_server.chat_requests[0].headers


def test_timeouts_are_bounded(provider):
    timeout = provider.client.timeout
    assert (timeout.connect, timeout.read, timeout.write) == (2.0, 2.0, 2.0)
    assert ChatCompletionsProvider(base_url="http://x/v1").client.timeout.connect == 10.0


# -- the answer ---------------------------------------------------------------------------


def test_streamed_text_becomes_text_deltas_with_usage_and_finish(provider, chat_server):
    chat_server.script(
        Reply(
            text="The answer is 42.",
            chunk_size=4,
            usage={"prompt_tokens": 11, "completion_tokens": 5},
        )
    )
    result = assemble(provider.stream(simple()))
    deltas = [e.text for e in result.events if isinstance(e, TextDelta)]
    assert deltas == ["The ", "answ", "er i", "s 42", "."]
    assert result.text == "The answer is 42."
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (11, 5)
    assert result.finish == "stop"


def test_streamed_tool_call_deltas_are_reassembled(provider, chat_server):
    chat_server.script(
        Reply(
            tool_calls=[
                {"id": "call_A", "name": "get_weather", "arguments": {"city": "Oslo"}},
                {"id": "call_B", "name": "get_weather", "arguments": '{"city": "Lima"}'},
            ],
            chunk_size=3,
        )
    )
    result = assemble(provider.stream(simple(tools=[WEATHER])))
    pieces = [e for e in result.events if isinstance(e, ToolCallDelta)]
    assert len(pieces) > 8  # arguments really arrived split across chunks
    assert result.calls == [
        {"id": "call_A", "name": "get_weather", "arguments": '{"city": "Oslo"}'},
        {"id": "call_B", "name": "get_weather", "arguments": '{"city": "Lima"}'},
    ]
    assert result.finish == "tool_calls"
    assert result.text == ""


@pytest.mark.parametrize("reason", ["length", "content_filter"])
def test_finish_reasons_pass_through(provider, chat_server, reason):
    chat_server.script(Reply(text="cut", finish_reason=reason))
    assert assemble(provider.stream(simple())).finish == reason


def test_usage_is_estimated_when_the_server_sends_none(provider, chat_server):
    chat_server.script(Reply(text="x" * 40, send_usage=False))
    result = assemble(provider.stream(simple("y" * 30)))
    assert result.usage.completion_tokens == 10
    assert result.usage.prompt_tokens == -(-len("Be brief." + "y" * 30) // 4)


def test_a_non_streaming_answer_is_understood(provider, chat_server):
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_Z",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": "{}"},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }
    chat_server.script(Raw(json.dumps(completion), content_type="application/json"))
    result = assemble(provider.stream(simple(tools=[WEATHER])))
    assert result.calls == [{"id": "call_Z", "name": "get_weather", "arguments": "{}"}]
    assert (result.usage.prompt_tokens, result.finish) == (7, "tool_calls")


def test_keep_alive_and_comment_lines_are_ignored(provider, chat_server):
    chunk = {"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}
    body = f": keep-alive\n\nevent: message\ndata: {json.dumps(chunk)}\n\ndata: [DONE]\n\n"
    chat_server.script(Raw(body))
    assert assemble(provider.stream(simple())).text == "ok"


# -- failures -------------------------------------------------------------------------------


def test_429_is_rate_limit_exceeded(provider, chat_server):
    chat_server.script(Fail(429, message="Rate limit reached for requests", retry_after=20))
    error = failure(provider)
    assert error.code == "rate_limit_exceeded"
    assert "429" in error.message
    assert "Retry after 20 seconds" in error.message
    assert "Rate limit reached for requests" in error.message


def test_429_is_retried_honouring_retry_after(chat_server):
    provider = ChatCompletionsProvider(base_url=chat_server.base_url, max_retries=2)
    chat_server.script(Fail(429, retry_after=0), Fail(503, retry_after=0))
    assert assemble(provider.stream(simple("again"))).text == "Echo: again"
    assert len(chat_server.chat_requests) == 3


def test_a_retry_after_too_long_to_wait_fails_at_once(chat_server):
    provider = ChatCompletionsProvider(base_url=chat_server.base_url, max_retries=2)
    chat_server.script(Fail(429, retry_after=3600))
    started = time.monotonic()
    assert failure(provider).code == "rate_limit_exceeded"
    assert time.monotonic() - started < 5
    assert len(chat_server.chat_requests) == 1


def test_server_errors_give_up_after_the_retries(chat_server):
    provider = ChatCompletionsProvider(base_url=chat_server.base_url, max_retries=1)
    chat_server.script(Fail(500, retry_after=0, repeat=5))
    error = failure(provider)
    assert error.code == "server_error"
    assert "HTTP 500" in error.message
    assert len(chat_server.chat_requests) == 2


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_prompt"),
        (422, "invalid_prompt"),
        (404, "server_error"),
        (502, "server_error"),
    ],
)
def test_http_errors_map_to_run_error_codes(provider, chat_server, status, code):
    chat_server.script(Fail(status, message="This model's maximum context length is 8192 tokens."))
    error = failure(provider)
    assert error.code == code
    assert f"HTTP {status}" in error.message
    assert "maximum context length" in error.message


def test_the_api_key_never_appears_in_an_error(provider, chat_server):
    chat_server.script(Fail(401, message=f"Incorrect API key provided: {KEY}."))
    error = failure(provider)
    assert "refused the API key (HTTP 401)" in error.message
    assert "***" in error.message
    chat_server.script(Fail(400, body=f"<html>bad key {KEY}</html>"))
    assert failure(provider).code == "invalid_prompt"
    chat_server.script(Raw(f"data: {{{KEY}\n\n"))
    assert "malformed" in failure(provider).message


def test_a_server_that_does_not_answer_times_out(chat_server):
    # The SDK retries a timeout like any failed connection (max_retries); none here.
    provider = ChatCompletionsProvider(base_url=chat_server.base_url, timeout=0.3, max_retries=0)
    chat_server.script(Hang(10))
    started = time.monotonic()
    error = failure(provider)
    assert time.monotonic() - started < 2
    assert error.code == "server_error"
    assert "did not answer within 0.3 seconds" in error.message


def test_a_stream_that_stalls_midway_times_out_after_some_text(chat_server):
    provider = ChatCompletionsProvider(base_url=chat_server.base_url, timeout=0.3)
    chat_server.script(Hang(10, after_chunks=3))
    received = []
    with pytest.raises(ProviderError) as caught:
        received.extend(provider.stream(simple("slow")))
    assert caught.value.code == "server_error"
    assert "".join(e.text for e in received if isinstance(e, TextDelta)) == "Echo: "


def test_a_server_that_is_not_there_is_a_server_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = ChatCompletionsProvider(
        base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0
    )
    error = failure(provider)
    assert error.code == "server_error"
    assert error.message == "Could not connect to the model server at 127.0.0.1."


@pytest.mark.parametrize(
    ("body", "wording"),
    [
        ("data: {not json\n\n", "malformed stream"),
        ('data: {"choices": "nope"}\n\n', "malformed chunk"),
        ('data: {"choices": [{"index": 0, "delta": {"content": "half"}}]}\n\n', "ended the stream"),
        (
            'data: {"error": {"message": "model overloaded"}}\n\n',
            "failed mid-stream: model overloaded",
        ),
        ("<html>not a completion</html>", "malformed answer"),
    ],
)
def test_malformed_streams_are_server_errors(provider, chat_server, body, wording):
    content_type = "text/html" if body.startswith("<") else "text/event-stream"
    chat_server.script(Raw(body, content_type=content_type))
    error = failure(provider)
    assert error.code == "server_error"
    assert wording in error.message


# -- models ---------------------------------------------------------------------------------


def test_models_are_the_configured_names(provider, chat_server):
    assert [m.id for m in provider.models()] == ["fake-model"]
    assert provider.models()[0].owned_by == "127.0.0.1"
    assert chat_server.requests == []  # configured names need no request


def test_without_configured_names_models_come_from_the_server(chat_server):
    chat_server.models = ["llama3.2", "qwen2.5"]
    provider = ChatCompletionsProvider(base_url=chat_server.base_url, api_key=KEY)
    assert [m.id for m in provider.models()] == ["llama3.2", "qwen2.5"]
    assert [m.id for m in provider.models()] == ["llama3.2", "qwen2.5"]
    [sent] = chat_server.requests  # listed once, then remembered
    assert (sent.method, sent.path) == ("GET", "/v1/models")
    assert sent.headers["authorization"] == f"Bearer {KEY}"


def test_models_of_an_unreachable_server_are_none(chat_server):
    chat_server.script()
    provider = ChatCompletionsProvider(base_url=chat_server.base_url + "/nowhere/x")
    chat_server.stop()
    assert provider.models() == []


def test_only_function_tools_are_sent(provider, chat_server):
    list(provider.stream(simple(tools=[{"type": "file_search"}], tool_choice="auto")))
    assert "tools" not in chat_server.chat_requests[0].body
    list(provider.stream(simple(tools=[{"type": "code_interpreter"}, WEATHER])))
    assert [t["type"] for t in chat_server.chat_requests[1].body["tools"]] == ["function"]


def test_whole_tool_calls_without_an_index_stay_apart(provider, chat_server):
    calls = [
        {"id": f"call_{n}", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        for n in (1, 2)
    ]
    chunks = [{"choices": [{"delta": {"tool_calls": [call]}}]} for call in calls]
    chunks.append({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})
    chat_server.script(Raw("".join(f"data: {json.dumps(c)}\n\n" for c in chunks)))
    result = assemble(provider.stream(simple(tools=[WEATHER])))
    assert [(c["id"], c["arguments"]) for c in result.calls] == [("call_1", "{}"), ("call_2", "{}")]
