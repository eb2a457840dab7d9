"""The client against the built-in engine over real HTTP (live server + the engine's worker)."""

from __future__ import annotations

import json

import pytest

from assistants_app.models import Connection
from assistants_app.services import (
    AssistantsClient,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    client_for,
    types,
)
from tests.support import WEATHER_TOOL, wait_until


@pytest.fixture
def studio(engine_url, engine_key):
    with AssistantsClient(base_url=engine_url, api_key=engine_key, max_retries=0) as client:
        yield client


def test_the_whole_function_call_loop(studio, engine_worker):
    assistant = studio.assistants.create(
        model="demo", name="Weather", instructions="You report the weather.", tools=[WEATHER_TOOL]
    )
    thread = studio.threads.create(metadata={"owner": "olivia"})
    studio.threads.messages.create(thread.id, role="user", content="get_weather city=Oslo")

    run = studio.threads.runs.create_and_poll(thread.id, assistant_id=assistant.id, poll_timeout=30)
    assert run.status == "requires_action"
    (call,) = run.required_tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}

    # While the run waits, the thread refuses another message (and the error says why).
    with pytest.raises(BadRequestError, match="while a run") as caught:
        studio.threads.messages.create(thread.id, role="user", content="hello?")
    assert caught.value.request_id

    run = studio.threads.runs.submit_tool_outputs_and_poll(
        run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": call.id, "output": '{"temperature": 21}'}],
        poll_timeout=30,
    )
    assert run.status == "completed"
    assert run.usage is not None and run.usage.total_tokens > 0

    messages = list(studio.threads.messages.list(thread.id, order="asc"))
    assert [message.role for message in messages] == ["user", "assistant"]
    assert 'get_weather returned: {"temperature": 21}' in messages[-1].text
    steps = list(studio.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc"))
    assert [step.type for step in steps] == ["tool_calls", "message_creation"]
    (done_call,) = steps[0].step_details.tool_calls
    assert isinstance(done_call, types.FunctionToolCall)
    assert done_call.function.output == '{"temperature": 21}'


def test_the_function_call_loop_streamed(studio, engine_worker):
    assistant = studio.assistants.create(model="demo", tools=[WEATHER_TOOL])
    with studio.threads.create_and_run(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "get_weather city=Lima"}]},
        stream=True,
    ) as stream:
        events = list(stream)
    assert events[0].event == "thread.created"
    assert events[-1].event == "thread.run.requires_action"
    run = stream.current_run
    (call,) = run.required_tool_calls

    with studio.threads.runs.submit_tool_outputs(
        run.id,
        thread_id=run.thread_id,
        tool_outputs=[{"tool_call_id": call.id, "output": "sunny"}],
        stream=True,
    ) as stream:
        text = "".join(stream.text_deltas())
    assert text == "get_weather returned: sunny"
    assert stream.current_run.status == "completed"


def test_pages_both_ways_and_errors(studio, engine_worker):
    thread = studio.threads.create(
        messages=[{"role": "user", "content": f"message {n}"} for n in range(5)]
    )
    ids = [message.id for message in studio.threads.messages.list(thread.id, order="asc")]
    assert len(ids) == 5
    forwards = studio.threads.messages.list(thread.id, order="asc", limit=2)
    assert [len(page.data) for page in forwards.iter_pages()] == [2, 2, 1]
    backwards = studio.threads.messages.list(thread.id, order="asc", limit=2, before=ids[-1])
    assert [m.id for m in backwards] == ids[2:4] + ids[0:2]

    with pytest.raises(NotFoundError) as caught:
        studio.assistants.retrieve("asst_missing")
    assert caught.value.status == 404
    with pytest.raises(NotFoundError, match="No assistant found with id 'asst_missing'"):
        studio.threads.runs.create(thread.id, assistant_id="asst_missing")

    stranger = AssistantsClient(base_url=studio.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(AuthenticationError):
        stranger.assistants.list()


def test_client_for_the_builtin_connection(live_server, settings, transactional_db):
    settings.ENGINE_BASE_URL = live_server.url + "/v1"
    client = client_for(Connection.objects.default())
    assistant = client.assistants.create(model="demo", name="From the dashboard")
    assert client.assistants.retrieve(assistant.id).name == "From the dashboard"
    assert "demo" in [model.id for model in client.models.list()]


def test_files_and_vector_store_search(studio, engine_worker):
    uploaded = studio.files.create(
        file=("refunds.md", b"Refunds are accepted within 30 days of purchase."),
        purpose="assistants",
    )
    assert studio.files.retrieve(uploaded.id).filename == "refunds.md"
    assert studio.files.content(uploaded.id) == b"Refunds are accepted within 30 days of purchase."
    assert uploaded.id in [file.id for file in studio.files.list(purpose="assistants")]

    store = studio.vector_stores.create(name="Policies", file_ids=[uploaded.id])
    wait_until(
        lambda: (
            studio.vector_stores.files.retrieve(uploaded.id, vector_store_id=store.id).status
            != "in_progress"
        ),
        timeout=30,
        message="the file to be read",
    )
    results = studio.vector_stores.search(store.id, query="refunds")
    assert results.data[0].file_id == uploaded.id
    assert "30 days" in results.data[0].content[0].text

    assert studio.vector_stores.delete(store.id).deleted
    assert studio.files.delete(uploaded.id).deleted
