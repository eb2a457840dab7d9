"""What a member's schema can cost the demo's value maker: patterns run on a linear-time engine,
and made-up values stay small whatever the schema asks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.providers.base import MAX_TOOL_ARGUMENTS, ProviderError, ToolCallDelta, bounded
from engine.providers.schema_values import (
    MAX_ITEMS,
    MAX_STRING,
    example_value,
    fill_object,
    is_valid,
    pattern_search,
)

ROOT = Path(__file__).resolve().parents[2]
EVIL = "^(a+)+$"  # exponential on a backtracking engine for "aaaa…b"
CODE = {
    "type": "object",
    "properties": {"code": {"type": "string", "pattern": EVIL}},
    "required": ["code"],
}


def test_a_catastrophic_pattern_is_evaluated_in_linear_time():
    # In a child process: Python's `re` would hold the GIL here for hours, so the deadline
    # is the subprocess timeout, not anything this process could measure.
    script = (
        "import json, sys\n"
        "from engine.providers.schema_values import fill_object\n"
        "schema = json.loads(sys.argv[1])\n"
        "print(json.dumps(fill_object(schema, 'check code=' + 'a' * 40 + 'b')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(CODE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"code": "example"}  # the text does not match: made up


def test_patterns_still_decide_which_value_fits():
    assert is_valid("aaaa", {"type": "string", "pattern": EVIL})
    assert not is_valid("a" * 60 + "b", {"type": "string", "pattern": EVIL})
    assert fill_object(CODE, "check code=aaaa") == {"code": "aaaa"}
    assert pattern_search(EVIL, "a" * 100_000 + "b") is False


def test_pattern_properties_and_additional_properties_use_the_bounded_engine():
    schema = {
        "type": "object",
        "patternProperties": {EVIL: {"type": "integer"}},
        "additionalProperties": False,
    }
    assert is_valid({"aaa": 1}, schema)
    assert not is_valid({"aaa": "x"}, schema)
    assert not is_valid({"a" * 60 + "b": 1}, schema)  # matches no pattern: an extra key
    both = {**schema, "unevaluatedProperties": False}
    assert is_valid({"aaa": 1}, both)


def test_a_pattern_the_bounded_engine_cannot_run_is_not_evaluated():
    # Lookarounds and backreferences need backtracking: such a pattern is not checked.
    assert pattern_search("(?=a)a", "b") is None
    assert is_valid("b", {"type": "string", "pattern": "(?=a)a"})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "minLength": 5_000_000},
        {
            "type": "array",
            "minItems": 300,
            "items": {"type": "array", "minItems": 300, "items": {"type": "string"}},
        },
        # Ten properties that each hold the whole object again: 10^8 values eight levels down.
        {
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {k: {"$ref": "#/$defs/Node"} for k in "abcdefghij"},
                    "required": list("abcdefghij"),
                }
            },
            "$ref": "#/$defs/Node",
        },
        {"type": "string", "default": "x" * 1_000_000},
    ],
    ids=["min-length", "nested-min-items", "ref-fan-out", "huge-default"],
)
def test_made_up_values_stay_small(schema):
    wrapped = {"type": "object", "properties": {"v": schema}, "required": ["v"]}
    assert len(json.dumps(fill_object(wrapped, "no values here"))) < 20_000
    assert len(json.dumps(example_value(schema, schema))) < 20_000


def test_small_requests_are_still_met_exactly():
    assert example_value({"type": "string", "minLength": 12}, {}) == "examplexxxxx"
    assert len(example_value({"type": "string", "minLength": 10_000}, {})) == MAX_STRING
    made = example_value({"type": "array", "minItems": 3, "items": {"type": "integer"}}, {})
    assert made == [1, 1, 1]
    assert len(example_value({"type": "array", "minItems": 500}, {})) == MAX_ITEMS


def test_numbers_that_overflow_are_not_an_error():
    schema = {"type": "integer", "minimum": 1e308, "multipleOf": 1e-308}
    assert isinstance(example_value(schema, schema), int | float)


class CountedText(str):
    """A message that counts the characters copied out of it."""

    copied = 0

    def __getitem__(self, item):
        piece = str.__getitem__(self, item)
        CountedText.copied += len(piece)
        return piece


def test_a_message_full_of_keys_is_read_in_one_pass():
    keys = {f"k{i}": {"type": "string"} for i in range(200)}
    schema = {"type": "object", "properties": keys, "required": ["k1"]}
    text = CountedText("k1=," * 50_000 + " k1=found")
    CountedText.copied = 0
    # Every `k1=` is empty: each is looked at once, never by copying the text after it
    # (which would copy about five billion characters here).
    assert fill_object(schema, text) == {"k1": "found"}
    assert CountedText.copied < 4 * len(text)


def test_function_call_arguments_past_the_limit_fail_the_answer():
    pieces = [ToolCallDelta(index=0, id="call_1", name="f", arguments="x" * 1000)]
    pieces += [ToolCallDelta(index=0, arguments="x" * 1000) for _ in range(200)]
    seen = []
    with pytest.raises(ProviderError, match="function-call arguments") as raised:
        seen.extend(bounded(iter(pieces)))
    assert "100,000 characters" in raised.value.message
    assert sum(len(p.arguments) for p in seen) <= MAX_TOOL_ARGUMENTS
    assert list(bounded(iter(pieces[:50]))) == pieces[:50]  # under the limit: untouched
