"""The API's limits, enforced by the request models before anything is sent, and the bodies
they produce; and response models that survive what a newer backend may send."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from assistants_app.error_words import in_words
from assistants_app.services import (
    AssistantCreateParams,
    InvalidRequestError,
    RunCreateParams,
    types,
)

from .conftest import url


def function(name: str, **extra) -> dict:
    return {"type": "function", "function": {"name": name, **extra}}


VALID = {"model": "demo"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "n" * 257}, "name"),
        ({"description": "d" * 513}, "description"),
        ({"instructions": "i" * 256_001}, "instructions"),
        ({"temperature": 2.01}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"tools": [function(f"f{n}") for n in range(129)]}, "tools"),
        ({"tools": [function("has space")]}, "tools"),
        ({"tools": [function("x" * 65)]}, "tools"),
        ({"tools": [function("same"), function("same")]}, "tools"),
        ({"tools": [{"type": "retrieval_v3"}]}, "tools"),
        ({"tools": [{"type": "file_search", "file_search": {"max_num_results": 51}}]}, "tools"),
        ({"metadata": {f"k{n}": "v" for n in range(17)}}, "metadata"),
        ({"metadata": {"k" * 65: "v"}}, "metadata"),
        ({"metadata": {"k": "v" * 513}}, "metadata"),
        ({"tool_resources": {"code_interpreter": {"file_ids": ["f"] * 21}}}, "tool_resources"),
        ({"tool_resources": {"file_search": {"vector_store_ids": ["a", "b"]}}}, "tool_resources"),
        ({"response_format": {"type": "yaml"}}, "response_format"),
        ({"model": ""}, "model"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_assistant_limits(values, field):
    with pytest.raises(ValidationError) as caught:
        AssistantCreateParams.model_validate({**VALID, **values})
    assert {error["loc"][0] for error in caught.value.errors()} == {field}


def test_limits_at_the_edge_are_accepted():
    params = AssistantCreateParams.model_validate(
        {
            "model": "demo",
            "name": "n" * 256,
            "description": "d" * 512,
            "instructions": "i" * 256_000,
            "temperature": 2,
            "top_p": 0,
            "tools": [function(f"f_{n}-X") for n in range(128)],
            "metadata": {f"{n:064d}": "v" * 512 for n in range(16)},
            "tool_resources": {"code_interpreter": {"file_ids": ["f"] * 20}},
        }
    )
    assert len(params.tools) == 128


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"tools": [function(f"f{n}") for n in range(21)]}, "tools"),
        ({"max_prompt_tokens": 255}, "max_prompt_tokens"),
        ({"max_completion_tokens": 100}, "max_completion_tokens"),
        ({"truncation_strategy": {"type": "last_messages", "last_messages": 0}},
         "truncation_strategy"),
        ({"tool_choice": {"type": "function"}}, "tool_choice"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"additional_messages": [{"role": "user", "content": ""}]}, "additional_messages"),
        ({"additional_messages": [{"role": "system", "content": "x"}]}, "additional_messages"),
        ({"assistant_id": ""}, "assistant_id"),
    ],
)  # fmt: skip
def test_run_limits(values, field):
    with pytest.raises(ValidationError) as caught:
        RunCreateParams.model_validate({"assistant_id": "asst_1", **values})
    assert {error["loc"][0] for error in caught.value.errors()} == {field}


def test_tool_outputs_need_one_answer_per_call():
    with pytest.raises(ValidationError, match="answered once") as caught:
        types.RunSubmitToolOutputsParams(
            tool_outputs=[
                {"tool_call_id": "c", "output": "1"},
                {"tool_call_id": "c", "output": "2"},
            ]
        )
    assert caught.value.errors()[0]["loc"] == ("tool_outputs",)
    with pytest.raises(ValidationError):
        types.RunSubmitToolOutputsParams(tool_outputs=[])


def test_vector_store_limits():
    with pytest.raises(ValidationError, match="half"):
        types.VectorStoreCreateParams(
            chunking_strategy={
                "type": "static",
                "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 401},
            }
        )
    with pytest.raises(ValidationError):
        types.VectorStoreCreateParams(expires_after={"anchor": "last_active_at", "days": 366})
    with pytest.raises(ValidationError, match="exactly one"):
        types.FileBatchCreateParams()
    with pytest.raises(ValidationError):
        types.VectorStoreSearchParams(query="q", max_num_results=51)


def test_invalid_arguments_are_refused_before_sending(client, respx_mock):
    route = respx_mock.post(url("assistants")).respond(json={"id": "asst_1"})
    with pytest.raises(InvalidRequestError) as caught:
        client.assistants.create(
            model="demo", name="n" * 300, tools=[function("bad name!")], temperature=9
        )
    assert not route.called
    fields = caught.value.field_errors()
    assert set(fields) == {"name", "tools", "temperature"}
    assert "function.function.name" in fields["tools"][0]  # the location inside the field
    assert isinstance(caught.value, ValueError)
    assert in_words(caught.value).startswith("Some values are not valid")


def test_bodies_hold_what_was_given_and_null_clears(client, respx_mock):
    route = respx_mock.post(url("assistants/asst_1")).respond(json={"id": "asst_1"})
    client.assistants.update(
        "asst_1",
        description=None,
        tools=[
            types.FunctionToolParam(function=types.FunctionDefinitionParam(name="lookup")),
            {"type": "file_search"},
        ],
        response_format={"type": "json_schema", "json_schema": {"name": "out", "schema": {}}},
    )
    assert json.loads(route.calls.last.request.content) == {
        "description": None,
        "tools": [{"type": "function", "function": {"name": "lookup"}}, {"type": "file_search"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": {}}},
    }


def test_fields_and_request_options_part_and_a_misspelt_name_is_refused(client, respx_mock):
    route = respx_mock.get(url("assistants")).respond(json={"data": []})
    client.assistants.list(limit=5, order="asc", extra_query={"q": "x"}, timeout=3)
    request = route.calls.last.request
    assert dict(request.url.params) == {"limit": "5", "order": "asc", "q": "x"}
    assert request.extensions["timeout"]["read"] == 3
    create = respx_mock.post(url("threads/t/runs")).respond(json={"id": "r", "thread_id": "t"})
    client.threads.runs.create("t", assistant_id="a", temperature=0.5, max_retries=0)
    assert json.loads(create.calls.last.request.content) == {
        "assistant_id": "a",
        "temperature": 0.5,
    }
    with pytest.raises(TypeError, match="limt"):
        client.assistants.list(limt=5)
    with pytest.raises(TypeError, match="temprature"):
        client.threads.runs.create("t", assistant_id="a", temprature=1)
    assert route.call_count == 1 and create.call_count == 1


def test_params_round_trip_for_forms():
    params = RunCreateParams(
        assistant_id="asst_1",
        additional_messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        tool_choice={"type": "function", "function": {"name": "lookup"}},
        include_unknown_new_field=True,
    )
    body = params.to_body()
    assert body["include_unknown_new_field"] is True  # extras pass through
    assert RunCreateParams.model_validate(body).to_body() == body


def test_responses_survive_what_a_newer_backend_sends():
    message = types.Message.model_validate(
        {
            "id": "msg_1",
            "status": "archived",
            "content": [
                {"type": "text", "text": {"value": "Hi", "annotations": [{"type": "url"}]}},
                {"type": "audio", "audio": {"id": "a"}},
            ],
            "sentiment": "positive",
        }
    )
    assert message.text == "Hi"
    assert isinstance(message.content[1], types.UnknownContentBlock)
    assert message.content[1].audio == {"id": "a"}
    assert message.sentiment == "positive"
    step = types.RunStep.model_validate(
        {"id": "step_1", "step_details": {"type": "tool_calls",
         "tool_calls": [{"type": "web_browse", "id": "c"}]}}
    )  # fmt: skip
    assert isinstance(step.step_details.tool_calls[0], types.UnknownToolCall)


def test_run_helpers():
    run = types.Run.model_validate(
        {
            "id": "run_1",
            "status": "requires_action",
            "required_action": {
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {
                    "tool_calls": [
                        {"id": "call_1", "type": "function",
                         "function": {"name": "f", "arguments": "{}"}}
                    ]
                },
            },
        }
    )  # fmt: skip
    assert [call.id for call in run.required_tool_calls] == ["call_1"]
    assert not run.is_terminal
    assert types.Run(id="r", status="expired").is_terminal
    assert types.Run(id="r", status="completed").required_tool_calls == []
