"""Values for JSON Schemas: read from a person's message, or made up when the message is silent.

The demo model uses this to fill function-call arguments and structured JSON replies so that
they always validate against the schema the assistant declared.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import re2
from jsonschema import Draft202012Validator, ValidationError, validators

_MAX_DEPTH = 8
_MISSING = object()
# What the demo makes up is a sample, not a payload: a long minLength or a large minItems is
# met only up to these, and one made-up value stops growing once it has cost _BUDGET.
MAX_STRING = 256  # characters of one made-up string
MAX_ITEMS = 10  # items of one made-up array
_BUDGET = 8_000  # characters (roughly, as JSON) of one made-up value

# A sample for each common string format, so "format: date" gets a date, not "example".
_FORMAT_SAMPLES = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}
# Straight and typographic quotes (phones type the latter): opening → closing.
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


# -- patterns --------------------------------------------------------------------------------
# A member's `pattern` runs on RE2, whose matching time is linear in the text: Python's `re`
# backtracks, and "^(a+)+$" against "aaaa…b" would hold the GIL (every run stops) for ages.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = 8 << 20  # bytes a compiled pattern may use


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except (re2.error, TypeError):
        return None  # lookarounds, backreferences…: RE2 refuses what it cannot bound


def pattern_search(pattern: Any, text: str) -> bool | None:
    """Whether `pattern` matches somewhere in `text`, in time linear in `text`; None when the
    pattern is not one RE2 can run (it is then not evaluated at all)."""
    compiled = _compiled(pattern) if isinstance(pattern, str) else None
    return None if compiled is None else compiled.search(text) is not None


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and pattern_search(pattern, instance) is False:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if pattern_search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    declared = schema.get("properties") or {}
    patterns = list(schema.get("patternProperties") or {})
    extras = [
        key
        for key in instance
        if key not in declared and not any(pattern_search(p, key) is not False for p in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        yield ValidationError(f"Additional properties are not allowed ({sorted(extras)!r})")


BoundedValidator = validators.extend(
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)
# jsonschema works out which keys patternProperties evaluated with Python's `re`: a schema
# that has both keywords is validated without unevaluatedProperties.
_WithoutUnevaluated = validators.extend(
    BoundedValidator, {"unevaluatedProperties": lambda *_: None}
)


def validator_class(root: Any) -> Any:
    """The bounded validator class for `root` and every schema inside it."""
    try:
        text = json.dumps(root)
    except (TypeError, ValueError, RecursionError):
        return _WithoutUnevaluated
    both = "patternProperties" in text and "unevaluatedProperties" in text
    return _WithoutUnevaluated if both else BoundedValidator


def is_valid(value: Any, schema: dict[str, Any], validator: Any = None) -> bool:
    """Whether `value` satisfies `schema`; a schema we cannot evaluate counts as satisfied.
    Patterns run on RE2 (see BoundedValidator): a member's regular expression is never run by
    a backtracking engine. `validator`: validator_class() of the root, when known."""
    try:
        return (validator or validator_class(schema))(schema).is_valid(value)
    except Exception:  # a broken user schema must not break the reply
        return True


def _with_defs(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    # A sub-schema validated on its own still needs the root's definitions for its $refs.
    defs = {key: root[key] for key in ("$defs", "definitions") if key in root}
    return {**defs, **schema} if defs else schema


def resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s ("#/$defs/Name", "#/definitions/Name"); anything else is left alone."""
    for _ in range(_MAX_DEPTH):
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        schema = target
    return {}


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    if "properties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    return []


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    low = schema.get("minimum")
    if low is None and isinstance(schema.get("exclusiveMinimum"), int | float):
        low = schema["exclusiveMinimum"] + 1
    high = schema.get("maximum")
    if high is None and isinstance(schema.get("exclusiveMaximum"), int | float):
        high = schema["exclusiveMaximum"] - 1
    value = low if isinstance(low, int | float) else 1
    if isinstance(high, int | float) and value > high:
        value = high
    try:
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            value = math.ceil(value / step) * step
        return math.ceil(value) if integer else value
    except (OverflowError, ValueError):  # 1e308 / 1e-308, NaN, infinity
        return 1


def _string(schema: dict[str, Any]) -> str:
    value = _FORMAT_SAMPLES.get(str(schema.get("format", "")), "example")
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        value += "x" * (min(min_length, MAX_STRING) - len(value))
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        value = value[: max(max_length, 0)]
    return value


class _Budget:
    """What one made-up value may still cost, in characters of JSON (roughly)."""

    def __init__(self, left: int = _BUDGET) -> None:
        self.left = left

    def spend(self, value: Any) -> Any:
        """`value` if it still fits (paid for), else None (and nothing is left)."""
        try:
            cost = len(json.dumps(value)) if isinstance(value, dict | list | str) else 4
        except (TypeError, ValueError, RecursionError):
            cost = self.left + 1
        if cost > self.left:
            self.left = 0
            return None
        self.left -= cost
        return value


def example_value(
    schema: Any, root: dict[str, Any], depth: int = 0, budget: _Budget | None = None
) -> Any:
    """A value for `schema`: its default, else first enum value, else example, else by type.
    Small whatever the schema asks (see MAX_STRING, MAX_ITEMS, _BUDGET): once the budget is
    spent, what is left is null."""
    budget = budget or _Budget()
    schema = resolve(schema, root)
    budget.left -= 6  # what the value costs around it: a key's quotes and colon, a comma, a null
    if depth > _MAX_DEPTH or budget.left <= 0:
        return None
    for key in ("default", "const"):
        if key in schema:
            return budget.spend(schema[key])
    for key in ("enum", "examples"):
        if isinstance(schema.get(key), list) and schema[key]:
            return budget.spend(schema[key][0])
    if "example" in schema:
        return budget.spend(schema["example"])
    for key in ("anyOf", "oneOf"):
        branches = [resolve(b, root) for b in schema.get(key) or []]
        branches = [b for b in branches if _types(b) != ["null"]] or branches
        if branches:
            return example_value(branches[0], root, depth + 1, budget)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = resolve(part, root)
            merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
            merged.setdefault("properties", {}).update(part.get("properties") or {})
            merged.setdefault("required", []).extend(part.get("required") or [])
        return example_value(merged, root, depth + 1, budget)
    kind = next((t for t in _types(schema) if t != "null"), None)
    if kind is None:
        return None if _types(schema) == ["null"] else budget.spend("example")
    if kind == "object":
        properties = schema.get("properties") or {}
        made: dict[str, Any] = {}
        for name in schema.get("required") or []:
            if budget.left <= 0:
                break
            if isinstance(name, str) and budget.spend(name) is not None:
                made[name] = example_value(properties.get(name, {}), root, depth + 1, budget)
        return made
    if kind == "array":
        count = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        made_items = []
        for _ in range(min(count, MAX_ITEMS)):
            if budget.left <= 0:
                break
            made_items.append(example_value(schema.get("items") or {}, root, depth + 1, budget))
        return made_items
    if kind in ("integer", "number"):
        return budget.spend(_number(schema, integer=kind == "integer"))
    if kind == "boolean":
        return budget.spend(False)
    return budget.spend(_string(schema))


@functools.lru_cache(maxsize=64)
def _value_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({names})\s*([:=])\s*", re.IGNORECASE)


_STOPS = {"=": re.compile(r"[\s,;]"), ":": re.compile(r"[,;\n]")}


def _raw_after(match: re.Match[str], pattern: re.Pattern[str]) -> tuple[str, str] | None:
    # Positions into the whole text, never copies of its rest: a message full of `key=`
    # stays linear.
    text, start = match.string, match.end()
    first = text[start : start + 1]
    if first in _QUOTES:
        end = text.find(_QUOTES[first], start + 1)
        if end > start:
            return "quoted", text[start + 1 : end]
    if first in ("{", "["):
        try:
            _, end = json.JSONDecoder().raw_decode(text, start)
            return "json", text[start:end]
        except (ValueError, RecursionError):
            pass
    stop = len(text)
    for stopper in (_STOPS[match.group(2)].search(text, start), pattern.search(text, start)):
        if stopper:
            stop = min(stop, stopper.start())
    plain = text[start:stop].strip().rstrip(".?!").strip()
    return ("plain", plain) if plain else None


def _index(text: str, keys: list[str]) -> dict[str, list[re.Match[str]]]:
    """Every `key=` / `key:` in `text`, by lower-cased key, found in one pass."""
    found: dict[str, list[re.Match[str]]] = {}
    if not keys or not text:
        return found
    for match in _value_pattern(tuple(keys)).finditer(text):
        found.setdefault(match.group(1).lower(), []).append(match)
    return found


def find_raw(key: str, text: str, keys: list[str]) -> tuple[str, str] | None:
    """The text written after `key=` or `key:` in `text`, as (kind, raw).

    kind is "json" for a JSON object/array, "quoted" for a quoted string, else "plain": after
    `=` one word, after `:` the words up to the next comma, semicolon, line end, or
    `other_key=`/`other_key:` pair.
    """
    return _find(key, _index(text, keys), keys)


def _find(
    key: str, index: dict[str, list[re.Match[str]]], keys: list[str]
) -> tuple[str, str] | None:
    for match in index.get(key.lower(), []):
        found = _raw_after(match, _value_pattern(tuple(keys)))
        if found is not None:
            return found
    return None


def coerce(
    kind: str,
    raw: str,
    schema: dict[str, Any],
    root: dict[str, Any],
    depth: int = 0,
    validator: Any = None,
) -> Any:
    """`raw` turned into a value valid for `schema`, or _MISSING when it cannot be."""
    schema = resolve(schema, root)
    validator = validator or validator_class(root)
    if depth > _MAX_DEPTH:
        return _MISSING
    candidates: list[Any] = []
    if kind == "json":
        candidates.append(json.loads(raw))
    constrained = ("enum", "const", "anyOf", "oneOf", "allOf")
    if not _types(schema) and not any(key in schema for key in constrained):
        return candidates[0] if candidates else raw  # untyped: take the text as written
    token = raw.split()[0].rstrip(".,;?!") if raw.split() else raw
    if token.lower() in _TRUE or token.lower() in _FALSE:
        candidates.append(token.lower() in _TRUE)
    if token.lower() in ("null", "none"):
        candidates.append(None)
    for parse in (int, float):
        with contextlib.suppress(ValueError):
            candidates.append(parse(token))
    enum = schema.get("enum")
    if isinstance(enum, list):
        for written in (raw, token):
            candidates.extend(
                v for v in enum if isinstance(v, str) and v.lower() == written.lower()
            )
    candidates.append(raw)
    if "array" in _types(schema) and kind != "json":
        items = schema.get("items") or {}
        candidates.append([coerce(kind, raw, items, root, depth + 1, validator)])
    checked = _with_defs(schema, root)
    for value in candidates:
        if value is not _MISSING and is_valid(value, checked, validator):
            return value
    return _MISSING


def read_value(raw: str, schema: Any, root: dict[str, Any]) -> tuple[bool, Any]:
    """(True, value) when `raw`, words of a message, is a valid value for `schema` (typed as
    the schema wants); (False, None) when it is not."""
    value = coerce("plain", raw, schema, root)
    return (False, None) if value is _MISSING else (True, value)


def fill_object(
    schema: Any,
    text: str,
    whole_text: str | None = None,
    known: dict[str, Any] | None = None,
) -> Any:
    """An object for an object schema: each property named as `key=value`/`key: value` in
    `text` (else `whole_text`, else `known`), and an example value for every other required one.
    The result validates against the schema wherever the schema can be satisfied this way.
    """
    root = schema if isinstance(schema, dict) else {}
    schema = resolve(root, root)
    properties: dict[str, Any] = schema.get("properties") or {}
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    keys = list(properties)
    indexes = [_index(source, keys) for source in (text, whole_text) if source]
    budget = _Budget()
    validator = validator_class(root)
    result: dict[str, Any] = {}
    for name, prop in properties.items():
        value: Any = _MISSING
        for index in indexes:
            found = _find(name, index, keys)
            if found is not None:
                value = coerce(*found, prop, root, validator=validator)
                if value is not _MISSING:
                    break
        if value is _MISSING and known and name in known:
            checked = _with_defs(resolve(prop, root), root)
            value = known[name] if is_valid(known[name], checked, validator) else _MISSING
        if value is _MISSING and name in required:
            value = example_value(prop, root, budget=budget)
        if value is not _MISSING:
            result[name] = value
    for name in required:  # required but not declared under properties
        result.setdefault(name, "example")
    if not is_valid(result, root, validator):
        return example_value(root, root)  # also covers schemas that are not objects at all
    return result
