"""The demo model: offline, deterministic, scripted. Not an AI.

It lets a fresh machine with no key and no network run every assistant, and it exercises every
path of the engine (function calls, parallel calls, tool outputs, JSON modes, streaming, usage).
Its behaviour is documented for users in the README ("The demo model"); keep the two in step.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import string
from collections.abc import Iterator
from typing import Any

from .base import (
    ChatMessage,
    ChatRequest,
    Finish,
    ModelInfo,
    ProviderEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from .schema_values import fill_object

MODEL_ID = "demo"
DESCRIPTION = "demo — scripted, not an AI"
QUOTE_LIMIT = 280  # characters of the user's message quoted back
INSTRUCTIONS_LIMIT = 100  # characters of the instructions quoted back
OUTPUT_LIMIT = 4000  # characters of each tool output repeated back

_CALL_ID_ALPHABET = string.ascii_letters + string.digits


def estimate_tokens(text: str) -> int:
    """Roughly four characters a token, as OpenAI's rule of thumb for English."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def new_call_id() -> str:
    return "call_" + "".join(secrets.choice(_CALL_ID_ALPHABET) for _ in range(24))


def pieces(text: str) -> list[str]:
    """Word-sized pieces (a word and the space after it) that join back into `text` exactly."""
    return re.findall(r"\S+\s*|\s+", text)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _latest_user_text(messages: list[ChatMessage]) -> str | None:
    for message in reversed(messages):
        if message.role == "user":
            return message.content or ""
    return None


def _instructions(messages: list[ChatMessage]) -> str:
    return "\n".join(m.content for m in messages if m.role == "system" and m.content).strip()


def submitted_outputs(messages: list[ChatMessage]) -> list[tuple[str, str]] | None:
    """(function name, output) pairs when the conversation ends with the outputs of the
    assistant's tool calls; None when it does not."""
    tail: list[ChatMessage] = []
    for message in reversed(messages):
        if message.role != "tool":
            break
        tail.append(message)
    position = len(messages) - len(tail) - 1
    if not tail or position < 0:
        return None
    caller = messages[position]
    if caller.role != "assistant" or not caller.tool_calls:
        return None
    names = {call.id: call.name for call in caller.tool_calls}
    return [(names.get(m.tool_call_id or "", "a tool"), m.content or "") for m in reversed(tail)]


def _functions(request: ChatRequest) -> dict[str, dict[str, Any]]:
    functions: dict[str, dict[str, Any]] = {}
    for tool in request.tools:
        function = tool.get("function") if tool.get("type") == "function" else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            functions.setdefault(function["name"], function)
    return functions


def _mentions(text: str, names: list[str]) -> list[tuple[int, str]]:
    """(position, name) of each function named in `text`, in order of first mention."""
    found = []
    for name in names:
        match = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.IGNORECASE)
        if match:
            found.append((match.start(), name))
    return sorted(found)


def planned_calls(request: ChatRequest) -> list[tuple[str, dict[str, Any]]]:
    """The function calls the demo makes for `request`: (name, arguments) pairs, maybe none."""
    functions = _functions(request)
    choice = request.tool_choice
    if not functions or choice == "none":
        return []
    text = _latest_user_text(request.messages) or ""
    mentions = _mentions(text, list(functions))
    forced = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    if forced in functions:
        mentions = [m for m in mentions if m[1] == forced] or [(len(text), forced)]
    elif choice == "required" and not mentions:
        mentions = [(len(text), next(iter(functions)))]
    if not request.parallel_tool_calls:
        mentions = mentions[:1]
    calls = []
    for number, (start, name) in enumerate(mentions):
        # Values written right after a function's name belong to that function first.
        end = mentions[number + 1][0] if number + 1 < len(mentions) else len(text)
        schema = functions[name].get("parameters") or {"type": "object", "properties": {}}
        calls.append((name, fill_object(schema, text[start:end], text)))
    return calls


def _known_values(outputs: list[tuple[str, str]]) -> dict[str, Any]:
    known: dict[str, Any] = {}
    for _, output in outputs:
        try:
            parsed = json.loads(output)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            known.update(parsed)
    return known


def _parsed(output: str) -> Any:
    try:
        return json.loads(output)
    except ValueError:
        return output


def _json_reply(
    response_format: dict[str, Any],
    user_text: str | None,
    instructions: str,
    outputs: list[tuple[str, str]] | None,
) -> str:
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        value = fill_object(schema, user_text or "", known=_known_values(outputs or []))
    elif outputs is not None:
        value = {"tool_outputs": [{"name": n, "output": _parsed(o)} for n, o in outputs]}
    else:
        value = {
            "model": MODEL_ID,
            "you_said": _shorten(user_text or "", QUOTE_LIMIT),
            "instructions_begin": _shorten(instructions, INSTRUCTIONS_LIMIT),
        }
    return json.dumps(value, ensure_ascii=False)


def reply_text(request: ChatRequest, outputs: list[tuple[str, str]] | None) -> str:
    """The demo's text answer when it makes no function call."""
    user_text = _latest_user_text(request.messages)
    instructions = _instructions(request.messages)
    response_format = request.response_format
    if isinstance(response_format, dict) and response_format.get("type") in (
        "json_object",
        "json_schema",
    ):
        return _json_reply(response_format, user_text, instructions, outputs)
    if outputs is not None:
        return "\n".join(
            f"{name} returned: {_shorten(output, OUTPUT_LIMIT)}" for name, output in outputs
        )
    said = (
        f'You said: "{_shorten(user_text, QUOTE_LIMIT)}".'
        if user_text and user_text.strip()
        else "You have not said anything yet."
    )
    told = (
        f'my instructions begin: "{_shorten(instructions, INSTRUCTIONS_LIMIT)}".'
        if instructions
        else "I have no instructions."
    )
    return f"{said} I am the demo model (scripted, not an AI); {told}"


def prompt_text(request: ChatRequest) -> str:
    parts = [json.dumps(request.tools)] if request.tools else []
    for message in request.messages:
        parts.append(message.content or "")
        parts.extend(call.name + call.arguments for call in message.tool_calls)
    return "".join(parts)


class DemoProvider:
    name = "demo"

    def models(self) -> list[ModelInfo]:
        return [ModelInfo(id=MODEL_ID, owned_by="assistant-studio", description=DESCRIPTION)]

    def stream(self, request: ChatRequest) -> Iterator[ProviderEvent]:
        prompt_tokens = estimate_tokens(prompt_text(request))
        outputs = submitted_outputs(request.messages)
        calls = [] if outputs is not None else planned_calls(request)
        if calls:
            written = ""
            for index, (name, arguments) in enumerate(calls):
                text = json.dumps(arguments, ensure_ascii=False)
                written += name + text
                yield ToolCallDelta(index=index, id=new_call_id(), name=name)
                for piece in pieces(text):
                    yield ToolCallDelta(index=index, arguments=piece)
            yield Usage(prompt_tokens, estimate_tokens(written))
            yield Finish("tool_calls")
            return
        written, reason = "", "stop"
        budget = request.max_completion_tokens
        for piece in pieces(reply_text(request, outputs)):
            if budget is not None and estimate_tokens(written + piece) > budget:
                reason = "length"
                break
            written += piece
            yield TextDelta(piece)
        yield Usage(prompt_tokens, estimate_tokens(written))
        yield Finish(reason)
