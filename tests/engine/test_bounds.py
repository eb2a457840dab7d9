"""What one caller's input may cost the engine: members' regular expressions, schema-driven
values, message counts, a locked database, deep bodies, and model names near a URL."""

import json
import sqlite3
import time

import httpx
import openai
import pytest
from django.db import connection

from engine.providers.base import ChatMessage, ChatRequest, ProviderError
from engine.providers.chat_completions import ChatCompletionsProvider
from engine.schemas import MAX_MESSAGES
from tests.fakes.chat_server import Reply

EVIL = "^(a+)+$"  # exponential on a backtracking engine for "aaaa…b"
TERMINAL = {"requires_action", "completed", "failed", "incomplete", "expired", "cancelled"}


def function(name: str, properties: dict) -> dict:
    parameters = {"type": "object", "properties": properties, "required": list(properties)}
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


def settled(client, thread_id: str, run_id: str, deadline: float = 30.0):
    """The run once it stops moving, polled until `deadline` seconds have passed."""
    end = time.monotonic() + deadline
    while True:
        run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
        if run.status in TERMINAL or time.monotonic() > end:
            return run
        time.sleep(0.02)  # a polling interval, not synchronisation: the loop checks the state


def start(client, assistant_id: str, text: str, **options):
    return client.beta.threads.create_and_run(
        assistant_id=assistant_id,
        thread={"messages": [{"role": "user", "content": text}]},
        **options,
    )


# -- members' patterns and made-up values ---------------------------------------------------


def test_a_catastrophic_pattern_neither_stalls_its_run_nor_anyone_elses(
    openai_client, engine_worker
):
    checker = openai_client.beta.assistants.create(
        model="demo", tools=[function("check", {"code": {"type": "string", "pattern": EVIL}})]
    )
    tutor = openai_client.beta.assistants.create(model="demo", instructions="Be brief.")
    evil = start(openai_client, checker.id, "check code=" + "a" * 40 + "b")
    other = start(openai_client, tutor.id, "What is 2 + 2?")
    # On Python's `re` the first run holds the GIL for hours and this one never moves.
    assert settled(openai_client, other.thread_id, other.id, deadline=5).status == "completed"
    run = settled(openai_client, evil.thread_id, evil.id)
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "check",
        {"code": "example"},  # the text does not match the pattern: a made-up value
    )


def test_a_catastrophic_pattern_in_a_response_format_finishes(openai_client, engine_worker):
    tutor = openai_client.beta.assistants.create(model="demo")
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": EVIL}},
        "required": ["code"],
    }
    run = start(
        openai_client,
        tutor.id,
        "code=" + "a" * 40 + "b",
        response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema}},
    )
    assert settled(openai_client, run.thread_id, run.id).status == "completed"
    reply = openai_client.beta.threads.messages.list(run.thread_id, limit=1).data[0]
    assert json.loads(reply.content[0].text.value) == {"code": "example"}


def test_schema_driven_arguments_stay_small(openai_client, engine_worker):
    grid = {
        "type": "array",
        "minItems": 300,
        "items": {"type": "array", "minItems": 300, "items": {"type": "string"}},
    }
    filler = openai_client.beta.assistants.create(
        model="demo",
        tools=[
            function("fill", {"text": {"type": "string", "minLength": 5_000_000}, "grid": grid})
        ],
    )
    run = start(openai_client, filler.id, "fill it")
    run = settled(openai_client, run.thread_id, run.id)
    assert run.status == "requires_action"
    arguments = run.required_action.submit_tool_outputs.tool_calls[0].function.arguments
    assert len(arguments) < 20_000
    made = json.loads(arguments)
    assert made["text"].startswith("example") and 0 < len(made["grid"]) <= 10


def test_a_model_writing_huge_arguments_fails_the_run_in_words(
    openai_client, engine_worker, chat_server, chat_model
):
    # In 150 pieces of 1,000 (not the fake's default 3 characters: 50,000 chunks take long).
    huge = Reply(tool_calls=[{"name": "f", "arguments": "x" * 150_000}], chunk_size=1000)
    chat_server.script(huge)
    assistant = openai_client.beta.assistants.create(
        model=chat_model, tools=[function("f", {"v": {"type": "string"}})]
    )
    run = start(openai_client, assistant.id, "go")
    run = settled(openai_client, run.thread_id, run.id)
    assert run.status == "failed" and run.required_action is None
    assert run.last_error.code == "server_error"
    assert "more than 100,000 characters of function-call arguments" in run.last_error.message


# -- how many messages one request adds -----------------------------------------------------


def _messages(count: int) -> list[dict]:
    return [{"role": "user", "content": f"message {n}"} for n in range(count)]


def test_a_thread_takes_at_most_32_messages(openai_client):
    assert MAX_MESSAGES == 32
    thread = openai_client.beta.threads.create(messages=_messages(32))
    assert len(openai_client.beta.threads.messages.list(thread.id, limit=100).data) == 32
    with pytest.raises(openai.BadRequestError) as refused:
        openai_client.beta.threads.create(messages=_messages(40_000))
    assert refused.value.body == {
        "message": "Invalid 'messages': array too long. Expected an array with maximum length "
        "32, but got an array with length 40000 instead.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "array_above_max_length",
    }


def test_create_and_run_and_additional_messages_take_at_most_32(openai_client):
    tutor = openai_client.beta.assistants.create(model="demo")
    with pytest.raises(openai.BadRequestError) as refused:
        openai_client.beta.threads.create_and_run(
            assistant_id=tutor.id, thread={"messages": _messages(33)}
        )
    assert refused.value.body["param"] == "thread.messages"
    assert refused.value.body["code"] == "array_above_max_length"
    thread = openai_client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as refused:
        openai_client.beta.threads.runs.create(
            thread_id=thread.id, assistant_id=tutor.id, additional_messages=_messages(33)
        )
    assert refused.value.body["param"] == "additional_messages"
    assert "maximum length 32, but got an array with length 33" in refused.value.body["message"]
    assert openai_client.beta.threads.messages.list(thread.id).data == []


# -- a locked database ----------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
def test_a_locked_database_is_a_503_with_retry_after(client, engine_key):
    headers = {"Authorization": f"Bearer {engine_key}"}
    post = {"content_type": "application/json", "headers": headers}
    assert client.post("/v1/threads", "{}", **post).status_code == 200
    # The test client runs the view on this thread's connection: wait 0.2 s, not 20.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout=200")
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's long write
        response = client.post("/v1/threads", "{}", **post)
        holder.execute("ROLLBACK")
        assert response.status_code == 503
        assert response["Retry-After"] == "1"
        assert response.json()["error"]["type"] == "server_error"
        assert response.json()["error"]["code"] == "database_busy"
        assert "retry" in response.json()["error"]["message"]
        assert client.post("/v1/threads", "{}", **post).status_code == 200  # lock gone
    finally:
        holder.close()
        connection.close()  # the next test connects again with the configured busy timeout


# -- bodies the API refuses -----------------------------------------------------------------


def _post(engine_url: str, key: str, path: str, content: str) -> httpx.Response:
    return httpx.post(
        f"{engine_url}{path}",
        content=content,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=30,
    )


def _nested_schema(levels: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


@pytest.mark.parametrize("levels", [100_000, 2_000])
def test_json_nested_too_deeply_is_a_400(engine_url, engine_key, levels):
    response = _post(engine_url, engine_key, "/threads", "[" * levels + "]" * levels)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json" and "nested too deeply" in error["message"]


def test_tool_parameters_900_deep_are_a_400_and_20_deep_are_fine(
    openai_client, engine_url, engine_key
):
    # Written out as text: the SDK's own encoder gives up on 900 levels.
    deep = '{"type": "object", "properties": {"a": ' * 900 + '{"type": "string"}' + "}}" * 900
    tool = '{"type": "function", "function": {"name": "deep", "parameters": ' + deep + "}}"
    response = _post(
        engine_url,
        engine_key,
        "/assistants",
        '{"model": "demo", "tools": [' + tool + "]}",
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]
    made = openai_client.beta.assistants.create(
        model="demo", tools=[function("deep", {"a": _nested_schema(20)})]
    )
    assert made.tools[0].function.name == "deep"


def test_a_file_batch_with_an_empty_file_id_is_a_400(openai_client):
    store = openai_client.vector_stores.create(name="bounds")
    with pytest.raises(openai.BadRequestError) as refused:
        openai_client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[""])
    assert refused.value.body["param"] == "file_ids[0]"
    with pytest.raises(openai.BadRequestError):
        openai_client.vector_stores.create(name="bounds", file_ids=[""])


# -- model names ----------------------------------------------------------------------------

BAD_MODEL = "../../admin/x?"


def test_model_names_that_could_steer_a_url_are_refused(openai_client):
    with pytest.raises(openai.BadRequestError) as refused:
        openai_client.beta.assistants.create(model=BAD_MODEL)
    assert refused.value.body["param"] == "model"
    assert refused.value.body["message"].startswith("Invalid 'model': expected a model name")
    tutor = openai_client.beta.assistants.create(model="demo")
    thread = openai_client.beta.threads.create()
    attempts = [
        lambda: openai_client.beta.assistants.update(tutor.id, model=BAD_MODEL),
        lambda: openai_client.beta.threads.runs.create(
            thread_id=thread.id, assistant_id=tutor.id, model=BAD_MODEL
        ),
        lambda: start(openai_client, tutor.id, "hi", model=BAD_MODEL),
    ]
    for attempt in attempts:
        with pytest.raises(openai.BadRequestError) as refused:
            attempt()
        assert refused.value.body["param"] == "model"
    for fine in ("gpt-4o", "llama3.1:8b", "meta-llama/Llama-3.1-8B-Instruct", "ft:gpt-4o:a::b"):
        assert openai_client.beta.assistants.update(tutor.id, model=fine).model == fine


def test_a_model_name_is_one_quoted_url_segment(chat_server):
    provider = ChatCompletionsProvider(
        base_url=chat_server.base_url + "/openai/deployments/{model}",
        api_key="sk-test-not-a-real-key",
        max_retries=0,
        timeout=5,
    )
    request = ChatRequest(model=BAD_MODEL, messages=[ChatMessage(role="user", content="hi")])
    try:
        list(provider.stream(request))
    except ProviderError:
        pass  # whatever the server answers, only where the request went matters here
    finally:
        provider.close()
    assert [r.path for r in chat_server.requests] == [
        "/v1/openai/deployments/..%2F..%2Fadmin%2Fx%3F/chat/completions"
    ]
