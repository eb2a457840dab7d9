"""`stream: true` through the official openai SDK: runs.stream with an AssistantEventHandler,
submit_tool_outputs_stream, create_and_run_stream, and the raw event order on the wire."""

import json

import httpx
import openai
import pytest
from openai import AssistantEventHandler

from tests.support import weather_tool

WEATHER = weather_tool("location")
TEXT_RUN = [
    "thread.run.created",
    "thread.run.queued",
    "thread.run.in_progress",
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.message.created",
    "thread.message.in_progress",
    "thread.message.delta",
    "thread.message.completed",
    "thread.run.step.completed",
    "thread.run.completed",
]


class Recorder(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.text = ""
        self.tool_calls = []

    def on_event(self, event) -> None:
        self.events.append(event.event)

    def on_text_delta(self, delta, snapshot) -> None:
        self.text += delta.value

    def on_tool_call_done(self, tool_call) -> None:
        self.tool_calls.append(tool_call)


def squeeze(events: list[str]) -> list[str]:
    """Consecutive deltas as one: how many depends on how fast the model streamed."""
    return [e for i, e in enumerate(events) if not (e.endswith(".delta") and events[i - 1] == e)]


def stream_run(client, thread_id: str, assistant_id: str):
    """Stream a run on the thread to its end: (the recorded events and text, the last run)."""
    handler = Recorder()
    with client.beta.threads.runs.stream(
        thread_id=thread_id, assistant_id=assistant_id, event_handler=handler
    ) as stream:
        stream.until_done()
        return handler, stream.current_run


@pytest.fixture
def assistant(openai_client):
    return openai_client.beta.assistants.create(
        name="Streamer", instructions="Stream it.", model="demo", tools=[WEATHER]
    )


def test_runs_stream_with_an_event_handler(openai_client, engine_worker, assistant):
    thread = openai_client.beta.threads.create(
        messages=[{"role": "user", "content": "Tell me something nice"}]
    )
    handler = Recorder()
    with openai_client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as stream:
        stream.until_done()
        final_run = stream.current_run
        final_messages = stream.get_final_messages()
    assert squeeze(handler.events) == TEXT_RUN
    assert final_run.status == "completed" and final_run.usage is not None
    stored = openai_client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert handler.text == stored.content[0].text.value
    assert "Tell me something nice" in handler.text
    assert [m.id for m in final_messages] == [stored.id]


def test_function_call_then_submit_tool_outputs_stream(openai_client, engine_worker, assistant):
    thread = openai_client.beta.threads.create(
        messages=[{"role": "user", "content": "Call get_weather location=Lisbon please"}]
    )
    handler, run = stream_run(openai_client, thread.id, assistant.id)
    assert squeeze(handler.events) == [
        *TEXT_RUN[:5],  # created … step.in_progress, then the call instead of a message
        "thread.run.step.delta",
        "thread.run.requires_action",
    ]
    assert run.status == "requires_action"
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert json.loads(call.function.arguments) == {"location": "Lisbon"}
    assert handler.tool_calls[0].function.name == "get_weather"

    second = Recorder()
    with openai_client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "Sunny, 24 C"}],
        event_handler=second,
    ) as stream:
        stream.until_done()
    # The tool call's step completes, then the run goes on as a new one would (not created).
    assert squeeze(second.events) == ["thread.run.step.completed", *TEXT_RUN[1:]]
    assert "Sunny, 24 C" in second.text


def test_create_and_run_stream(openai_client, engine_worker, assistant):
    handler = Recorder()
    with openai_client.beta.threads.create_and_run_stream(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Hello"}]},
        event_handler=handler,
    ) as stream:
        stream.until_done()
    assert squeeze(handler.events) == ["thread.created", *TEXT_RUN]
    assert "Hello" in handler.text


def test_raw_wire_format(engine_url, engine_key, engine_worker, openai_client, assistant):
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    with httpx.stream(
        "POST",
        f"{engine_url}/threads/{thread.id}/runs",
        json={"assistant_id": assistant.id, "stream": True},
        headers={"Authorization": f"Bearer {engine_key}", "Accept": "application/json"},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-request-id"].startswith("req_")
        body = response.read().decode()
    frames = [frame for frame in body.split("\n\n") if frame and not frame.startswith(":")]
    names = [frame.split("\n")[0].removeprefix("event: ") for frame in frames]
    assert names[-1] == "done" and frames[-1] == "event: done\ndata: [DONE]"
    data = {
        name: json.loads(frame.split("\n", 1)[1].removeprefix("data: "))
        for name, frame in zip(names[:-1], frames[:-1], strict=True)
    }
    assert data["thread.run.created"]["status"] == "queued"
    assert data["thread.run.in_progress"]["status"] == "in_progress"
    assert data["thread.message.created"]["content"] == []
    assert data["thread.run.completed"]["usage"]["total_tokens"] > 0
    deltas = [
        json.loads(f.split("\n", 1)[1].removeprefix("data: "))
        for n, f in zip(names, frames, strict=True)
        if n == "thread.message.delta"
    ]
    text = "".join(d["delta"]["content"][0]["text"]["value"] for d in deltas)
    assert text == data["thread.message.completed"]["content"][0]["text"]["value"]


def test_stream_of_a_failing_model_reports_the_failure(
    openai_client, engine_worker, chat_model, chat_server
):
    from tests.fakes.chat_server import Fail

    chat_server.script(Fail(500, message="upstream exploded"))
    assistant = openai_client.beta.assistants.create(model=chat_model)
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    handler, run = stream_run(openai_client, thread.id, assistant.id)
    assert handler.events[-1] == "thread.run.failed"
    assert run.status == "failed" and run.last_error.code == "server_error"
    assert run.failed_at is not None


def test_invalid_stream_request_is_a_json_error(openai_client, assistant):
    thread = openai_client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as error:
        openai_client.beta.threads.runs.create(
            thread_id=thread.id, assistant_id=assistant.id, stream=True, temperature=9
        )
    assert error.value.body["param"] == "temperature"


def test_a_slow_model_streams_as_several_deltas(
    openai_client, engine_worker, chat_model, chat_server
):
    from tests.fakes.chat_server import Reply

    answer = "The quick brown fox jumps over the lazy dog, again and again and again."
    chat_server.script(Reply(text=answer, chunk_size=6, delay=0.03))
    assistant = openai_client.beta.assistants.create(model=chat_model)
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "Go"}])
    handler, _ = stream_run(openai_client, thread.id, assistant.id)
    assert handler.events.count("thread.message.delta") > 3  # written as the model streamed
    assert handler.text == answer


def test_a_run_deleted_mid_stream_ends_the_stream_with_an_error(
    openai_client, engine_worker, chat_model, chat_server
):
    from engine.models import Message
    from tests.fakes.chat_server import Reply

    chat_server.script(Reply(text="word " * 200, chunk_size=5, delay=0.05))
    assistant = openai_client.beta.assistants.create(model=chat_model)
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "Go"}])
    handler = Recorder()
    with (
        pytest.raises(openai.APIError) as error,
        openai_client.beta.threads.runs.stream(
            thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
        ) as stream,
    ):
        for event in stream:
            if (
                event.event == "thread.message.delta"
                and Message.objects.filter(thread_id=thread.id, role="assistant").exists()
            ):
                openai_client.beta.threads.delete(thread.id)
    assert "deleted" in error.value.message
    assert "thread.message.delta" in handler.events
