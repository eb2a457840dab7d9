"""The demo model: scripted, deterministic, offline (engine/providers/demo.py)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from engine.providers.base import ChatMessage, ChatRequest, TextDelta, ToolCall, ToolCallDelta
from engine.providers.demo import DESCRIPTION, DemoProvider, estimate_tokens

from .streams import assemble

WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City, e.g. Paris"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["location", "unit"],
    "additionalProperties": False,
}


def function(name: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "description": f"The {name} function."}
    if parameters is not None:
        spec["parameters"] = parameters
    return {"type": "function", "function": spec}


WEATHER = function("get_weather", WEATHER_PARAMETERS)
TIME = function(
    "get_time",
    {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
)


def ask(text: str | None, *, system: str | None = None, **options: Any):
    messages = [ChatMessage("system", system)] if system else []
    if text is not None:
        messages.append(ChatMessage("user", text))
    return assemble(DemoProvider().stream(ChatRequest(model="demo", messages=messages, **options)))


def arguments_of(result) -> list[dict[str, Any]]:
    return [json.loads(call["arguments"]) for call in result.calls]


def call_with(parameters: dict[str, Any], text: str) -> dict[str, Any]:
    """The arguments the demo writes for a function `f` with `parameters` when told `text`."""
    result = ask(f"f {text}", tools=[function("f", parameters)])
    assert [c["name"] for c in result.calls] == ["f"]
    arguments = json.loads(result.calls[0]["arguments"])
    jsonschema.validate(arguments, parameters)
    return arguments


# -- function calls -------------------------------------------------------------------------


def test_listed_as_scripted_not_an_ai():
    [info] = DemoProvider().models()
    assert info.id == "demo"
    assert info.description == DESCRIPTION == "demo — scripted, not an AI"


def test_calls_the_function_the_message_names_with_key_equals_value():
    result = ask("Please get_weather location=Paris unit=fahrenheit days=3", tools=[WEATHER])
    assert result.finish == "tool_calls"
    assert result.text == ""
    [call] = result.calls
    assert call["name"] == "get_weather"
    assert call["id"].startswith("call_") and len(call["id"]) > len("call_") + 8
    assert json.loads(call["arguments"]) == {"location": "Paris", "unit": "fahrenheit", "days": 3}


def test_key_colon_value_runs_to_the_next_comma_or_pair():
    result = ask("get_weather location: New York, unit: celsius", tools=[WEATHER])
    assert arguments_of(result) == [{"location": "New York", "unit": "celsius"}]


def test_quoted_values_keep_commas_and_typographic_quotes_work():
    result = ask('get_weather location="San Francisco, CA" unit=celsius', tools=[WEATHER])
    assert arguments_of(result)[0]["location"] == "San Francisco, CA"
    result = ask("get_weather location: “Rio de Janeiro”", tools=[WEATHER])
    assert arguments_of(result)[0]["location"] == "Rio de Janeiro"


def test_values_are_coerced_to_the_schema_and_enums_match_any_case():
    parameters = {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "loud": {"type": "boolean"},
            "unit": {"type": "string", "enum": ["Celsius", "Fahrenheit"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "where": {"type": "object", "properties": {"lat": {"type": "number"}}},
        },
        "required": ["count", "ratio", "loud", "unit", "tags", "where"],
    }
    arguments = call_with(
        parameters, 'count=4 ratio: 0.5 loud=yes unit=celsius tags=["a", "b"] where={"lat": 1.5}'
    )
    assert arguments == {
        "count": 4,
        "ratio": 0.5,
        "loud": True,
        "unit": "Celsius",
        "tags": ["a", "b"],
        "where": {"lat": 1.5},
    }


def test_a_value_the_schema_refuses_is_replaced_by_a_valid_one():
    result = ask("get_weather location=Oslo unit=kelvin days=many", tools=[WEATHER])
    [arguments] = arguments_of(result)
    # "kelvin" is not in the enum and "many" is not an integer: the first enum value, and
    # days is optional so it is left out rather than invented.
    assert arguments == {"location": "Oslo", "unit": "celsius"}
    jsonschema.validate(arguments, WEATHER_PARAMETERS)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "default": "Paris", "enum": ["Rome", "Paris"]}, "Paris"),
        ({"type": "string", "enum": ["Rome", "Paris"], "example": "Oslo"}, "Rome"),
        ({"type": "string", "example": "Oslo"}, "Oslo"),
        ({"type": "integer", "examples": [42, 7]}, 42),
        ({"type": "string"}, "example"),
        ({"type": "string", "format": "date"}, "2025-01-01"),
        ({"type": "string", "minLength": 10}, "examplexxx"),
        ({"type": "integer"}, 1),
        ({"type": "integer", "minimum": 5, "maximum": 9}, 5),
        ({"type": "integer", "maximum": -3}, -3),
        ({"type": "number", "exclusiveMinimum": 0.5}, 1.5),
        ({"type": "boolean"}, False),
        ({"type": "null"}, None),
        ({"type": ["string", "null"]}, "example"),
        ({"type": "array", "items": {"type": "integer"}}, []),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [1, 1]),
        (
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"a": 1},
        ),
        ({"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]}, 3),
        ({"$ref": "#/$defs/Unit"}, "kelvin"),
    ],
)
def test_a_required_value_the_message_does_not_give_is_made_up_validly(schema, expected):
    parameters = {
        "type": "object",
        "properties": {"x": schema},
        "required": ["x"],
        "$defs": {"Unit": {"type": "string", "enum": ["kelvin"]}},
    }
    assert call_with(parameters, "without any value") == {"x": expected}


def test_a_function_without_parameters_is_called_with_an_empty_object():
    result = ask("ping now", tools=[function("ping")])
    assert result.calls[0]["name"] == "ping"
    assert arguments_of(result) == [{}]


def test_a_function_is_named_only_as_a_whole_word():
    result = ask("get_weathers and xget_weather are not it", tools=[WEATHER])
    assert result.calls == []
    assert result.finish == "stop"
    assert ask("GET_WEATHER location=Lima", tools=[WEATHER]).calls[0]["name"] == "get_weather"


def test_several_named_functions_are_called_in_parallel_in_order_of_mention():
    result = ask("get_time tz=Asia/Tokyo then get_weather location=Lima", tools=[WEATHER, TIME])
    assert [c["name"] for c in result.calls] == ["get_time", "get_weather"]
    assert arguments_of(result) == [{"tz": "Asia/Tokyo"}, {"location": "Lima", "unit": "celsius"}]
    assert len({c["id"] for c in result.calls}) == 2
    # One delta stream per call: the first piece of each carries its id and name.
    firsts = [e for e in result.events if isinstance(e, ToolCallDelta) and e.id]
    assert [(e.index, e.name) for e in firsts] == [(0, "get_time"), (1, "get_weather")]


def test_values_written_after_a_function_belong_to_it():
    two = function("get_time", {"type": "object", "properties": {"location": {"type": "string"}}})
    result = ask("get_weather location=Oslo and get_time location=Lima", tools=[WEATHER, two])
    assert [a["location"] for a in arguments_of(result)] == ["Oslo", "Lima"]


def test_parallel_tool_calls_false_makes_only_the_first_call():
    result = ask("get_time and get_weather", tools=[WEATHER, TIME], parallel_tool_calls=False)
    assert [c["name"] for c in result.calls] == ["get_time"]


def test_tool_choice_none_never_calls():
    result = ask("get_weather location=Paris", tools=[WEATHER], tool_choice="none")
    assert result.calls == []
    assert result.text.startswith('You said: "get_weather location=Paris".')


def test_tool_choice_auto_without_a_named_function_answers_in_text():
    result = ask("Hello", tools=[WEATHER], tool_choice="auto")
    assert result.calls == []
    assert result.finish == "stop"


def test_tool_choice_required_calls_the_first_function_when_none_is_named():
    result = ask("Hello unit=fahrenheit", tools=[WEATHER, TIME], tool_choice="required")
    assert [c["name"] for c in result.calls] == ["get_weather"]
    assert arguments_of(result) == [{"location": "example", "unit": "fahrenheit"}]


def test_tool_choice_naming_a_function_forces_exactly_that_call():
    forced = {"type": "function", "function": {"name": "get_time"}}
    result = ask("get_weather location=Oslo tz=UTC", tools=[WEATHER, TIME], tool_choice=forced)
    assert [c["name"] for c in result.calls] == ["get_time"]
    assert arguments_of(result) == [{"tz": "UTC"}]


def test_tool_calls_report_usage_and_stream_the_arguments_in_pieces():
    result = ask("get_weather location=Paris unit=celsius", tools=[WEATHER])
    pieces = [e for e in result.events if isinstance(e, ToolCallDelta)]
    assert len(pieces) > 2
    assert result.usage.completion_tokens == estimate_tokens(
        "get_weather" + result.calls[0]["arguments"]
    )


# -- answering with tool outputs ------------------------------------------------------------


def conversation_with_outputs(*outputs: tuple[str, str, str]) -> list[ChatMessage]:
    calls = [ToolCall(id=call_id, name=name, arguments="{}") for call_id, name, _ in outputs]
    return [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "get_weather and get_time"),
        ChatMessage("assistant", None, tool_calls=calls),
        *(ChatMessage("tool", out, tool_call_id=call_id) for call_id, _, out in outputs),
    ]


def test_once_outputs_are_submitted_it_answers_with_them():
    messages = conversation_with_outputs(
        ("call_a", "get_weather", '{"temperature": 21, "unit": "celsius"}'),
        ("call_b", "get_time", "12:00"),
    )
    request = ChatRequest(model="demo", messages=messages, tools=[WEATHER, TIME])
    result = assemble(DemoProvider().stream(request))
    assert result.calls == []
    assert result.finish == "stop"
    assert result.text == (
        'get_weather returned: {"temperature": 21, "unit": "celsius"}\nget_time returned: 12:00'
    )


def test_a_new_user_message_after_outputs_gets_an_ordinary_reply():
    messages = [
        *conversation_with_outputs(("call_a", "get_weather", "sunny")),
        ChatMessage("assistant", "get_weather returned: sunny"),
        ChatMessage("user", "Thanks!"),
    ]
    result = assemble(DemoProvider().stream(ChatRequest(model="demo", messages=messages)))
    assert result.text.startswith('You said: "Thanks!".')


# -- JSON modes -----------------------------------------------------------------------------


def test_json_object_mode_answers_a_json_object():
    result = ask("Hi there", system="Reply in JSON.", response_format={"type": "json_object"})
    answer = json.loads(result.text)
    assert isinstance(answer, dict)
    assert answer["you_said"] == "Hi there"
    assert answer["instructions_begin"] == "Reply in JSON."


def test_json_object_mode_after_outputs_carries_them():
    messages = conversation_with_outputs(("call_a", "get_weather", '{"temperature": 21}'))
    request = ChatRequest(model="demo", messages=messages, response_format={"type": "json_object"})
    answer = json.loads(assemble(DemoProvider().stream(request)).text)
    assert answer == {"tool_outputs": [{"name": "get_weather", "output": {"temperature": 21}}]}


PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "email": {"type": "string", "format": "email"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["city", "zip"],
            "additionalProperties": False,
        },
        "nickname": {"type": "string"},
    },
    "required": ["name", "age", "email", "tags", "address"],
    "additionalProperties": False,
}


def json_schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}


def test_json_schema_mode_answers_json_matching_the_schema():
    result = ask("Describe someone", response_format=json_schema_format(PERSON))
    answer = json.loads(result.text)
    jsonschema.validate(answer, PERSON)
    assert set(answer) == set(PERSON["required"])


def test_json_schema_mode_takes_values_from_the_message():
    result = ask("name: Ada Lovelace, age=36", response_format=json_schema_format(PERSON))
    answer = json.loads(result.text)
    jsonschema.validate(answer, PERSON)
    assert (answer["name"], answer["age"]) == ("Ada Lovelace", 36)


def test_json_schema_mode_after_outputs_uses_their_values():
    schema = {
        "type": "object",
        "properties": {"temperature": {"type": "number"}, "summary": {"type": "string"}},
        "required": ["temperature", "summary"],
    }
    messages = conversation_with_outputs(("call_a", "get_weather", '{"temperature": 21.5}'))
    request = ChatRequest(
        model="demo", messages=messages, response_format=json_schema_format(schema)
    )
    answer = json.loads(assemble(DemoProvider().stream(request)).text)
    jsonschema.validate(answer, schema)
    assert answer["temperature"] == 21.5


def test_text_response_format_answers_in_text():
    assert ask("Hi", response_format={"type": "text"}).text.startswith('You said: "Hi".')
    assert ask("Hi", response_format="auto").text.startswith('You said: "Hi".')


# -- ordinary replies -----------------------------------------------------------------------


def test_reply_quotes_the_message_and_the_instructions():
    result = ask("Solve 3x + 11 = 14", system="You are a personal math tutor.")
    assert result.text == (
        'You said: "Solve 3x + 11 = 14". I am the demo model (scripted, not an AI); '
        'my instructions begin: "You are a personal math tutor.".'
    )
    assert result.finish == "stop"


def test_reply_says_when_there_are_no_instructions_or_no_message():
    assert ask("Hi").text.endswith(
        "I am the demo model (scripted, not an AI); I have no instructions."
    )
    assert ask(None, system="Be kind.").text.startswith("You have not said anything yet.")


def test_reply_quotes_only_the_latest_user_message_and_shortens_long_text():
    messages = [ChatMessage("user", "first"), ChatMessage("assistant", "ok")]
    messages.append(ChatMessage("user", "word " * 200))
    result = assemble(DemoProvider().stream(ChatRequest(model="demo", messages=messages)))
    assert "first" not in result.text
    quoted = result.text.split('"')[1]
    assert len(quoted) <= 281 and quoted.endswith("…")
    instructions = ask("hi", system="x" * 500).text.split('"')[3]
    assert len(instructions) == 101 and instructions.endswith("…")


def test_streams_word_by_word():
    result = ask("one two three", system="Be brief.")
    deltas = [e.text for e in result.events if isinstance(e, TextDelta)]
    assert len(deltas) == len(result.text.split())
    assert all(len(d.split()) == 1 for d in deltas)
    assert "".join(deltas) == result.text


def test_is_deterministic():
    first = ask("get_weather location=Oslo", tools=[WEATHER])
    second = ask("get_weather location=Oslo", tools=[WEATHER])
    assert [(c["name"], c["arguments"]) for c in first.calls] == [
        (c["name"], c["arguments"]) for c in second.calls
    ]
    assert first.calls[0]["id"] != second.calls[0]["id"]  # ids are fresh each time
    assert ask("hello", system="S").events == ask("hello", system="S").events


def test_usage_is_about_four_characters_a_token():
    system, text = "You are a tutor." * 10, "What is two plus two?"
    result = ask(text, system=system)
    assert result.usage.prompt_tokens == -(-len(system + text) // 4)
    assert result.usage.completion_tokens == -(-len(result.text) // 4)


def test_stops_at_max_completion_tokens_with_finish_length():
    result = ask("a b c d e f g h", system="Be brief.", max_completion_tokens=5)
    assert result.finish == "length"
    assert result.usage.completion_tokens <= 5
    assert ask("a b c d e f g h", system="Be brief.").text.startswith(result.text)


def test_json_schema_mode_with_a_schema_that_is_not_an_object():
    schema = {"type": "array", "items": {"type": "integer"}, "minItems": 2}
    answer = json.loads(ask("Numbers please", response_format=json_schema_format(schema)).text)
    jsonschema.validate(answer, schema)
