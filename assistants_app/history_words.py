"""An assistant's History as a change log: each recorded save, field by field, in words.

A value changed "from … to …"; long text and JSON (a function's parameters, the response
format, metadata) as a line diff (difflib), never two blobs side by side; functions one by one
(added, removed, or what changed in them).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

LABELS = {
    "name": "Name",
    "description": "Description",
    "model": "Model",
    "instructions": "Instructions",
    "tools": "Tools",
    "tool_resources": "Files",
    "metadata": "Metadata",
    "temperature": "Temperature",
    "top_p": "Top P",
    "response_format": "Response format",
    "reasoning_effort": "Reasoning effort",
}
TEXT_FIELDS = {"description", "instructions"}
SHORT = 80  # text up to this long, on one line, reads best as "from … to …"


@dataclass
class DiffLine:
    kind: str  # "add", "del", "same" or "gap"
    text: str


@dataclass
class Change:
    """One thing that changed: `before` → `after` in words, or `diff` lines, or `parts`."""

    label: str
    before: str = ""
    after: str = ""
    diff: list[DiffLine] = field(default_factory=list)
    parts: list[Change] = field(default_factory=list)
    note: str = ""  # "added", "removed", "turned on", …


def words(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _pretty(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def line_diff(before: str, after: str) -> list[DiffLine]:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2)
    found = []
    for line in list(lines)[2:]:  # the ---/+++ header
        if line.startswith("@@"):
            found.append(DiffLine("gap", "…"))
        elif line.startswith("+"):
            found.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            found.append(DiffLine("del", line[1:]))
        else:
            found.append(DiffLine("same", line[1:]))
    return found


def _value_or_diff(label: str, before: Any, after: Any) -> Change:
    if all(
        value is None or (not isinstance(value, dict | list) and len(str(value)) <= SHORT
                          and "\n" not in str(value))
        for value in (before, after)
    ):  # fmt: skip
        return Change(label, before=words(before), after=words(after))
    return Change(label, diff=line_diff(_pretty(before), _pretty(after)))


def _functions(tools: Any) -> dict[str, dict]:
    found = {}
    for tool in tools or []:
        if isinstance(tool, dict) and tool.get("type") == "function":
            function = tool.get("function") or {}
            found[function.get("name", "")] = function
    return found


def _kinds(tools: Any) -> set[str]:
    return {t.get("type") for t in tools or [] if isinstance(t, dict)} - {"function"}


def tool_changes(before: Any, after: Any) -> list[Change]:
    parts: list[Change] = []
    was, now = _kinds(before), _kinds(after)
    for kind in sorted(now - was):
        parts.append(Change(kind.replace("_", " ").capitalize(), note="turned on"))
    for kind in sorted(was - now):
        parts.append(Change(kind.replace("_", " ").capitalize(), note="turned off"))
    old, new = _functions(before), _functions(after)
    for name in new.keys() - old.keys():
        function = new[name]
        parts.append(
            Change(
                f"Function {name}",
                note="added",
                diff=line_diff("", _pretty(function.get("parameters"))),
                after=function.get("description") or "",
            )
        )
    for name in old.keys() - new.keys():
        parts.append(Change(f"Function {name}", note="removed"))
    for name in sorted(old.keys() & new.keys()):
        a, b = old[name], new[name]
        inner = []
        for key in ("description", "strict"):
            if a.get(key) != b.get(key):
                inner.append(
                    Change(key.capitalize(), before=words(a.get(key)), after=words(b.get(key)))
                )
        if a.get("parameters") != b.get("parameters"):
            diff = line_diff(_pretty(a.get("parameters")), _pretty(b.get("parameters")))
            inner.append(Change("Parameters", diff=diff))
        if inner:
            parts.append(Change(f"Function {name}", note="changed", parts=inner))
    return parts


def metadata_changes(before: Any, after: Any) -> list[Change]:
    old, new = before or {}, after or {}
    parts = []
    for key in list(old) + [k for k in new if k not in old]:
        if old.get(key) != new.get(key):
            note = "added" if key not in old else "removed" if key not in new else ""
            parts.append(
                Change(key, before=words(old.get(key)), after=words(new.get(key)), note=note)
            )
    return parts


def _pruned(value: Any) -> Any:
    """`value` without empty parts: {"file_ids": []} says no more than null does."""
    if isinstance(value, dict):
        kept = {key: _pruned(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, [], {})} or None
    if isinstance(value, list):
        return [_pruned(item) for item in value] or None
    return value


def describe(changes: dict[str, list]) -> list[Change]:
    """The recorded {field: [before, after]} of one save, as the History page tells it."""
    told = []
    for name, (before, after) in changes.items():
        maps = all(isinstance(value, dict | type(None)) for value in (before, after))
        if maps and _pruned(before) == _pruned(after):
            continue  # only empty parts differ (null and {"file_ids": []})
        label = LABELS.get(name, name.replace("_", " ").capitalize())
        if name == "tools":
            told.append(Change(label, parts=tool_changes(before, after)))
        elif name == "metadata":
            told.append(Change(label, parts=metadata_changes(before, after)))
        elif (
            name in TEXT_FIELDS or isinstance(before, dict | list) or isinstance(after, dict | list)
        ):
            told.append(_value_or_diff(label, before, after))
        else:
            told.append(Change(label, before=words(before), after=words(after)))
    return told
