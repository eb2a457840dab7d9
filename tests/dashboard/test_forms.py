"""The assistant builder's validation: every API limit gives a field error before any call."""

import json

import pytest
from django.http import QueryDict

from assistants_app.forms import (
    AssistantBuilder,
    MessageForm,
    ToolOutputsForm,
    parse_json_schema,
)
from tests.dashboard.support import builder_data


def post(**fields) -> QueryDict:
    """The builder's POST as the form sees it."""
    data = QueryDict(mutable=True)
    for key, value in builder_data(**fields).items():
        data[key] = value
    return data


def function_row(index: int, name: str, parameters: str = "", **extra) -> dict:
    row = {f"fn-{index}-name": name, f"fn-{index}-parameters": parameters}
    row.update({f"fn-{index}-{k}": v for k, v in extra.items()})
    return row


def test_minimal_assistant_payload():
    builder = AssistantBuilder(post(name="Helper"))
    assert builder.is_valid()
    assert builder.payload() == {
        "model": "demo",
        "name": "Helper",
        "tools": [],
        "metadata": {},
        "response_format": "auto",
    }


def test_update_payload_clears_emptied_fields():
    builder = AssistantBuilder(post())
    assert builder.is_valid()
    body = builder.payload(for_update=True)
    assert body["name"] is None and body["temperature"] is None and body["description"] is None


def test_over_long_name_is_a_field_error():
    builder = AssistantBuilder(post(name="x" * 257))
    assert not builder.is_valid()
    assert "at most 256 characters" in builder.form.errors["name"][0]


def test_limits_on_description_instructions_temperature_top_p():
    builder = AssistantBuilder(
        post(description="d" * 513, instructions="i" * 256_001, temperature="2.5", top_p="-0.1")
    )
    assert not builder.is_valid()
    errors = builder.form.errors
    assert set(errors) >= {"description", "instructions", "temperature", "top_p"}


def test_model_is_required():
    builder = AssistantBuilder(post(model=""))
    assert not builder.is_valid()
    assert "model" in builder.form.errors


def test_function_tool_with_schema():
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    data = post(
        **{"fn-TOTAL_FORMS": "1"},
        **function_row(0, "get_weather", json.dumps(schema), description="Weather", strict="on"),
    )
    builder = AssistantBuilder(data)
    assert builder.is_valid(), builder.tools.errors
    assert builder.payload()["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather",
                "parameters": schema,
                "strict": True,
            },
        }
    ]


def test_invalid_json_schema_says_where():
    bad = '{"type": "object", "properties": {"city": {"type": "strin"}}}'
    builder = AssistantBuilder(post(**{"fn-TOTAL_FORMS": "1"}, **function_row(0, "f", bad)))
    assert not builder.is_valid()
    message = builder.tools.forms[0].errors["parameters"][0]
    assert "not a valid JSON Schema at $.properties.city.type" in message


def test_schema_that_is_not_json_says_line_and_column():
    with pytest.raises(Exception, match=r"not valid JSON: .*line 1, column"):
        parse_json_schema('{"type": }')


def test_parameters_must_describe_an_object():
    with pytest.raises(Exception, match="must describe an object"):
        parse_json_schema('{"type": "string"}', require_object=True)


def test_bad_function_name_and_duplicates():
    data = post(
        **{"fn-TOTAL_FORMS": "3"},
        **function_row(0, "has space"),
        **function_row(1, "twice"),
        **function_row(2, "twice"),
    )
    builder = AssistantBuilder(data)
    assert not builder.is_valid()
    assert "no spaces" in builder.tools.forms[0].errors["name"][0]


def test_duplicate_function_names():
    data = post(**{"fn-TOTAL_FORMS": "2"}, **function_row(0, "twice"), **function_row(1, "twice"))
    builder = AssistantBuilder(data)
    assert not builder.is_valid()
    assert "Two functions are called twice" in builder.tools.non_form_errors()[0]


def test_blank_function_row_is_ignored():
    builder = AssistantBuilder(post(**{"fn-TOTAL_FORMS": "1"}, **function_row(0, "")))
    assert builder.is_valid()
    assert builder.payload()["tools"] == []


def test_metadata_limits():
    rows = {"meta-TOTAL_FORMS": "17"}
    for i in range(17):
        rows |= {f"meta-{i}-key": f"k{i}", f"meta-{i}-value": "v"}
    builder = AssistantBuilder(post(**rows))
    assert not builder.is_valid()
    assert "16" in " ".join(builder.metadata.non_form_errors())

    long = AssistantBuilder(
        post(**{"meta-TOTAL_FORMS": "1", "meta-0-key": "k" * 65, "meta-0-value": "v" * 513})
    )
    assert not long.is_valid()
    assert set(long.metadata.forms[0].errors) == {"key", "value"}


def test_json_schema_response_format():
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    builder = AssistantBuilder(
        post(
            response_format="json_schema",
            json_schema_name="answer",
            json_schema_schema=json.dumps(schema),
            json_schema_strict="on",
        )
    )
    assert builder.is_valid(), builder.form.errors
    assert builder.payload()["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }
    missing = AssistantBuilder(post(response_format="json_schema"))
    assert not missing.is_valid()
    assert {"json_schema_name", "json_schema_schema"} <= set(missing.form.errors)


def test_tools_switches_and_reasoning_effort():
    builder = AssistantBuilder(
        post(code_interpreter="on", file_search="on", reasoning_effort="low", temperature="0.3")
    )
    assert builder.is_valid()
    body = builder.payload()
    assert body["tools"] == [{"type": "code_interpreter"}, {"type": "file_search"}]
    assert body["reasoning_effort"] == "low" and body["temperature"] == 0.3


def test_draft_adds_template_and_removes_rows_without_errors():
    builder = AssistantBuilder(post(name="x" * 300))
    draft = builder.draft("template-get_weather")
    assert not draft.is_bound
    assert draft.form.initial["name"] == "x" * 300  # everything typed is kept
    assert [f.initial["name"] for f in draft.tools.forms] == ["get_weather"]
    assert '"location"' in draft.tools.forms[0].initial["parameters"]
    # Submitted again with the row, then removed.
    data = post(**{"fn-TOTAL_FORMS": "2"}, **function_row(0, "a"), **function_row(1, "b"))
    removed = AssistantBuilder(data).draft("remove_function-0")
    assert [f.initial["name"] for f in removed.tools.forms] == ["b"]
    added = AssistantBuilder(post()).draft("add_metadata")
    assert len(added.metadata.forms) == 1


def test_builder_for_existing_assistant_round_trips():
    assistant = {
        "id": "asst_1",
        "model": "demo",
        "name": "N",
        "tools": [
            {"type": "code_interpreter"},
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}},
        ],
        "metadata": {"team": "support"},
        "temperature": 0.5,
        "response_format": {"type": "json_object"},
    }
    builder = AssistantBuilder.for_assistant(assistant)
    assert builder.form.initial["code_interpreter"] is True
    assert builder.form.initial["response_format"] == "json_object"
    assert builder.tools.forms[0].initial["name"] == "f"
    assert builder.metadata.forms[0].initial == {"key": "team", "value": "support"}


def test_message_form_run_options():
    form = MessageForm({"content": "hi", "tool_choice": "get_weather", "temperature": "0.2"})
    assert form.is_valid()
    assert form.run_options() == {
        "temperature": 0.2,
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }
    assert not MessageForm({"content": "   "}).is_valid()
    plain = MessageForm({"content": "x", "tool_choice": "none"})
    assert plain.is_valid() and plain.run_options() == {"tool_choice": "none"}
    bad = MessageForm({"content": "x", "tool_choice": "not a name", "temperature": "3"})
    assert not bad.is_valid() and set(bad.errors) == {"tool_choice", "temperature"}


def test_tool_outputs_form_keeps_plain_text():
    calls = [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    form = ToolOutputsForm(calls, {"output_call_1": "sunny, 21 °C"})
    assert form.is_valid()
    assert form.outputs() == [{"tool_call_id": "call_1", "output": "sunny, 21 °C"}]


def test_sampling_at_the_api_default_shows_empty_so_it_is_not_written_back():
    # The API reports a top_p nobody set as 1.0; shown as 1.0 it would be saved as set.
    builder = AssistantBuilder.for_assistant({"model": "demo", "temperature": 0.7, "top_p": 1.0})
    assert builder.form.initial["temperature"] == 0.7
    assert builder.form.initial["top_p"] is None
