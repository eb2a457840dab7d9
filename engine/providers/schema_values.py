"""Values for JSON Schemas: read from a person's message, or made up when the message is silent.

The demo model uses this to fill function-call arguments and structured JSON replies so that
they always validate against the schema the assistant declared.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from typing import Any

from jsonschema import Draft202012Validator

_MAX_DEPTH = 8
_MISSING = object()

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


def is_valid(value: Any, schema: dict[str, Any]) -> bool:
    """Whether `value` satisfies `schema`; a schema we cannot evaluate counts as satisfied."""
    try:
        return Draft202012Validator(schema).is_valid(value)
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
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = math.ceil(value / step) * step
    return math.ceil(value) if integer else value


def _string(schema: dict[str, Any]) -> str:
    value = _FORMAT_SAMPLES.get(str(schema.get("format", "")), "example")
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        value += "x" * (min_length - len(value))
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        value = value[:max_length]
    return value


def example_value(schema: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """A value for `schema`: its default, else first enum value, else example, else by type."""
    schema = resolve(schema, root)
    if depth > _MAX_DEPTH:
        return None
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    for key in ("anyOf", "oneOf"):
        branches = [resolve(b, root) for b in schema.get(key) or []]
        branches = [b for b in branches if _types(b) != ["null"]] or branches
        if branches:
            return example_value(branches[0], root, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = resolve(part, root)
            merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
            merged.setdefault("properties", {}).update(part.get("properties") or {})
            merged.setdefault("required", []).extend(part.get("required") or [])
        return example_value(merged, root, depth + 1)
    kind = next((t for t in _types(schema) if t != "null"), None)
    if kind is None:
        return None if _types(schema) == ["null"] else "example"
    if kind == "object":
        properties = schema.get("properties") or {}
        return {
            name: example_value(properties.get(name, {}), root, depth + 1)
            for name in schema.get("required") or []
        }
    if kind == "array":
        count = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        return [example_value(schema.get("items") or {}, root, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    return _string(schema)


def _value_pattern(keys: list[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({names})\s*([:=])\s*", re.IGNORECASE)


def find_raw(key: str, text: str, keys: list[str]) -> tuple[str, str] | None:
    """The text written after `key=` or `key:` in `text`, as (kind, raw).

    kind is "json" for a JSON object/array, "quoted" for a quoted string, else "plain": after
    `=` one word, after `:` the words up to the next comma, semicolon, line end, or
    `other_key=`/`other_key:` pair.
    """
    pattern = _value_pattern(keys)
    for match in pattern.finditer(text):
        if match.group(1).lower() != key.lower():
            continue
        start = match.end()
        rest = text[start:]
        if rest[:1] in _QUOTES:
            closing = _QUOTES[rest[0]]
            end = rest.find(closing, 1)
            if end > 0:
                return "quoted", rest[1:end]
        if rest[:1] in ("{", "["):
            try:
                _, end = json.JSONDecoder().raw_decode(rest)
                return "json", rest[:end]
            except ValueError:
                pass
        stop = len(rest)
        ends = r"[\s,;]" if match.group(2) == "=" else r"[,;\n]"
        for stopper in (re.search(ends, rest), pattern.search(rest)):
            if stopper:
                stop = min(stop, stopper.start())
        plain = rest[:stop].strip().rstrip(".?!").strip()
        if plain:
            return "plain", plain
    return None


def coerce(kind: str, raw: str, schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """`raw` turned into a value valid for `schema`, or _MISSING when it cannot be."""
    schema = resolve(schema, root)
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
        candidates.append([coerce(kind, raw, schema.get("items") or {}, root)])
    checked = _with_defs(schema, root)
    for value in candidates:
        if value is not _MISSING and is_valid(value, checked):
            return value
    return _MISSING


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
    result: dict[str, Any] = {}
    for name, prop in properties.items():
        value: Any = _MISSING
        for source in (text, whole_text):
            found = find_raw(name, source, keys) if source else None
            if found is not None:
                value = coerce(*found, prop, root)
                if value is not _MISSING:
                    break
        if value is _MISSING and known and name in known:
            checked = _with_defs(resolve(prop, root), root)
            value = known[name] if is_valid(known[name], checked) else _MISSING
        if value is _MISSING and name in required:
            value = example_value(prop, root)
        if value is not _MISSING:
            result[name] = value
    for name in required:  # required but not declared under properties
        result.setdefault(name, "example")
    if not is_valid(result, root):
        return example_value(root, root)  # also covers schemas that are not objects at all
    return result
