"""The local chat-completions server speaks the protocol the official openai SDK expects.

If the stand-in drifted from the real protocol, the provider tests would prove nothing; the
SDK's own parsing keeps it honest.
"""

from __future__ import annotations

import concurrent.futures
import time

import openai
import pytest

from tests.fakes.chat_server import Fail, FakeChatServer, Reply


@pytest.fixture
def client(chat_server):
    return openai.OpenAI(base_url=chat_server.base_url, api_key="sk-test", max_retries=0)


def test_streamed_text_and_usage_parse_with_the_sdk(client, chat_server):
    chat_server.script(Reply(text="Hello, world", chunk_size=5))
    stream = client.chat.completions.create(
        model="fake-model",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello, world"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens > 0


def test_streamed_tool_calls_split_across_chunks_parse_with_the_sdk(client, chat_server):
    chat_server.script(
        Reply(tool_calls=[{"id": "call_1", "name": "get_weather", "arguments": {"city": "Oslo"}}])
    )
    stream = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "Weather?"}], stream=True
    )
    pieces = [
        call
        for chunk in stream
        for call in (chunk.choices[0].delta.tool_calls or [] if chunk.choices else [])
    ]
    assert pieces[0].id == "call_1" and pieces[0].function.name == "get_weather"
    assert "".join(p.function.arguments or "" for p in pieces) == '{"city": "Oslo"}'
    assert len(pieces) > 3
    assert chat_server.chat_requests[0].body.get("stream_options") is None


def test_non_streaming_answers_and_model_list_parse_with_the_sdk(client, chat_server):
    completion = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "Hi"}]
    )
    assert completion.choices[0].message.content == "Echo: Hi"
    assert completion.usage.total_tokens > 0
    assert [m.id for m in client.models.list()] == ["fake-model"]


def test_scripted_failures_raise_the_sdks_errors(client, chat_server):
    chat_server.script(Fail(429, retry_after=7), Fail(500))
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert caught.value.response.headers["retry-after"] == "7"
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert len(chat_server.chat_requests) == 2


def test_it_serves_concurrent_clients_and_stops_promptly():
    with FakeChatServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)

        def ask(number: int) -> str:
            answer = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": str(number)}]
            )
            return answer.choices[0].message.content

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert sorted(pool.map(ask, range(16))) == sorted(f"Echo: {n}" for n in range(16))
        started = time.monotonic()
    assert time.monotonic() - started < 1
    assert len(server.requests) == 16
