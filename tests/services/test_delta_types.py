"""Stream deltas are derived from the objects they build up (`delta_of`): each field of the
object, absent unless sent, in the object's order after the part's `index` and `type`."""

from __future__ import annotations

import pytest

from assistants_app.services import types


@pytest.mark.parametrize(
    ("delta", "whole", "head"),
    [
        (types.ImageFileDeltaBlock, types.ImageFileContentBlock, ["index"]),
        (types.ImageURLDeltaBlock, types.ImageURLContentBlock, ["index"]),
        (types.RefusalDeltaBlock, types.RefusalContentBlock, ["index"]),
        (types.FunctionToolCallDelta, types.FunctionToolCall, ["index", "type"]),
        (types.CodeInterpreterToolCallDelta, types.CodeInterpreterToolCall, ["index", "type"]),
        (types.MessageCreationStepDetailsDelta, types.MessageCreationStepDetails, []),
        (types.FunctionDelta, types.StepFunction, []),
        (types.CodeInterpreterDelta, types.CodeInterpreter, []),
    ],
    ids=lambda model: getattr(model, "__name__", ""),
)
def test_a_delta_has_its_objects_fields_after_index_and_type(delta, whole, head):
    fields = list(delta.model_fields)
    assert fields == head + [name for name in whole.model_fields if name not in head]
    empty = delta.model_validate({})
    assert all(getattr(empty, name) is None for name in fields if name not in ("index", "type"))


def test_a_tool_call_delta_parses_what_the_stream_sends():
    step = types.RunStepDelta.model_validate(
        {
            "id": "step_1",
            "delta": {
                "step_details": {
                    "type": "tool_calls",
                    "tool_calls": [
                        {"index": 0, "type": "function", "id": "call_1", "function": {"name": "f"}},
                        {
                            "index": 1,
                            "type": "code_interpreter",
                            "code_interpreter": {"input": "1"},
                        },
                        {"index": 2, "type": "web_search", "web_search": {}},
                    ],
                }
            },
        }
    )
    function, code, unknown = step.delta.step_details.tool_calls
    assert isinstance(function, types.FunctionToolCallDelta)
    assert function.model_dump() == {
        "index": 0,
        "type": "function",
        "id": "call_1",
        "function": {"name": "f", "arguments": None, "output": None},
    }
    assert isinstance(code, types.CodeInterpreterToolCallDelta)
    assert (code.id, code.code_interpreter.input, code.code_interpreter.outputs) == (
        None,
        "1",
        None,
    )
    assert isinstance(unknown, types.UnknownToolCallDelta) and unknown.index == 2


def test_an_image_delta_keeps_its_tag_and_its_index():
    delta = types.MessageDelta.model_validate(
        {"id": "msg_1", "delta": {"content": [{"index": 3, "type": "image_url", "image_url": {}}]}}
    )
    (part,) = delta.delta.content
    assert isinstance(part, types.ImageURLDeltaBlock)
    assert part.model_dump() == {
        "index": 3,
        "type": "image_url",
        "image_url": {"url": None, "detail": None},
    }
