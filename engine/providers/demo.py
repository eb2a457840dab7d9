"""The demo model: offline, deterministic, scripted. Not an AI.

It lets a fresh machine with no key and no network run every assistant, and it exercises every
path of the engine (function calls, parallel calls, tool outputs, JSON modes, streaming, usage).
Its behaviour is documented for users in the README ("The demo model"); keep the two in step.
Plain words (which function a message asks for, values said in passing, the passage that
answers) are in demo_words; the code it writes for charts and equations in demo_code.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import string
from collections.abc import Iterator
from typing import Any

# The engine's own tools (file_search, code_interpreter) as the model sees them; no database.
from engine.files import tooldefs

from . import demo_code, demo_words
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
        name = function.get("name") if isinstance(function, dict) else None
        # Built-in tools are not the user's functions: see builtin_calls.
        if isinstance(name, str) and name not in tooldefs.NAMES:
            functions.setdefault(name, function)
    return functions


def _builtin_tools(request: ChatRequest) -> set[str]:
    return {
        (tool.get("function") or {}).get("name")
        for tool in request.tools
        if tool.get("type") == "function"
        and (tool.get("function") or {}).get("name") in tooldefs.NAMES
    }


def _forced(request: ChatRequest) -> str | None:
    choice = request.tool_choice
    return (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None


def code_calls(request: ChatRequest) -> list[tuple[str, dict[str, Any]]]:
    """With code_interpreter: run the ```python block of the latest message, else code the
    demo writes for it (a chart of a CSV file, an equation solved: see demo_code)."""
    if (
        tooldefs.CODE_INTERPRETER not in _builtin_tools(request)
        or request.tool_choice == "none"
        or _forced(request) not in (None, tooldefs.CODE_INTERPRETER)
    ):
        return []
    text = _latest_user_text(request.messages) or ""
    block = tooldefs.PYTHON_BLOCK.search(text)
    code = block.group(1) if block else demo_code.code_for(text, request.tools)
    return [(tooldefs.CODE_INTERPRETER, {"code": code})] if code else []


def _has_files_to_search(request: ChatRequest) -> bool:
    """Whether file_search's definition names any file (it lists them when there are)."""
    for tool in request.tools:
        function = tool.get("function") or {}
        if function.get("name") == tooldefs.FILE_SEARCH:
            return str(function.get("description") or "").startswith(
                "Search the files the user gave you ("
            )
    return False


def search_calls(request: ChatRequest) -> list[tuple[str, dict[str, Any]]]:
    """With file_search: search the files for the latest message, unless it only greets or
    there are no files (then reply_text says so instead of pretending to have looked)."""
    forced = _forced(request)
    if (
        tooldefs.FILE_SEARCH not in _builtin_tools(request)
        or request.tool_choice == "none"
        or forced not in (None, tooldefs.FILE_SEARCH)
    ):
        return []
    text = _latest_user_text(request.messages) or ""
    query = tooldefs.PYTHON_BLOCK.sub(" ", text).strip()
    if not query:
        return []
    if forced is None and (demo_words.small_talk(query) or not _has_files_to_search(request)):
        return []
    return [(tooldefs.FILE_SEARCH, {"query": query})]


def builtin_calls(request: ChatRequest) -> list[tuple[str, dict[str, Any]]]:
    return code_calls(request) or search_calls(request)


def _tools_reply(request: ChatRequest, text: str) -> str | None:
    """What the demo says instead of quoting the message when the assistant has the engine's
    tools but the message gives them nothing to do: a greeting, no files to search, no CSV to
    plot."""
    available = _builtin_tools(request)
    if not available or request.tool_choice == "none":
        return None
    if tooldefs.CODE_INTERPRETER in available:
        missing = demo_code.no_table_reply(text, request.tools)
        if missing:
            return missing
    offers = []
    if tooldefs.FILE_SEARCH in available:
        offers.append("ask me about your files")
    if tooldefs.CODE_INTERPRETER in available:
        offers.append("ask me to plot a CSV file or to solve an equation such as 3x + 11 = 14")
    talk = demo_words.small_talk(text)
    if talk:
        opening = {"thanks": "You are welcome!", "bye": "Goodbye!"}.get(talk, "Hello!")
        return (
            f"{opening} I am the demo model (scripted, not an AI). You can "
            + " or ".join(offers)
            + "."
        )
    if tooldefs.FILE_SEARCH in available and not _has_files_to_search(request):
        return (
            "There are no files to search yet: give the assistant a vector store, or attach "
            "a file to your message for file search."
        )
    return None


def builtin_reply(outputs: list[tuple[str, str]], question: str = "") -> str:
    """The demo's answer once its file_search or code_interpreter calls have run: the
    sentence of the passage that answers `question`, with its citation, or the code's
    output."""
    replies = []
    for name, output in outputs:
        if name == tooldefs.FILE_SEARCH:
            best = demo_words.best_passage(question, tooldefs.parse_file_search_output(output))
            if best:
                marker, file_name, text = best
                replies.append(f'From {file_name}: "{_shorten(text, QUOTE_LIMIT)}"{marker}')
            else:
                replies.append("I searched the files and found nothing about that.")
            continue
        lines = output.split("\n\n")
        links = tooldefs.SANDBOX_LINK.findall(output)
        logs = "\n\n".join(
            line
            for line in lines
            if not line.startswith("Files written: ")
            and not line.endswith("figure(s) shown to the user as images.")
        )
        shown = _clip(logs, OUTPUT_LIMIT)
        fence = _fence(shown)
        reply = f"I ran the code. Output:\n\n{fence}\n{shown}\n{fence}"
        if any(line.endswith("figure(s) shown to the user as images.") for line in lines):
            reply += "\n\nThe figure is attached."
        if links:
            reply += "\n\nFiles: " + ", ".join(
                f"[{link.rsplit('/', 1)[-1]}](sandbox:{link})" for link in links
            )
        replies.append(reply)
    return "\n\n".join(replies)


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in `text`, so the code's output cannot
    close it and pass its own text off as the answer."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_WORD = re.compile(r"[\w-]+")


def _mentions(text: str, names: list[str]) -> list[tuple[int, str]]:
    """(position, name) of each function named in `text` as a whole word in any case, in
    order of first mention. One pass over the text whatever the number of functions."""
    wanted: dict[str, list[str]] = {}
    found = []
    for name in names:
        if _WORD.fullmatch(name):
            wanted.setdefault(name.lower(), []).append(name)
        else:  # a name the API would refuse: looked for on its own
            match = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.IGNORECASE)
            if match:
                found.append((match.start(), name))
    for match in _WORD.finditer(text):
        for name in wanted.pop(match.group().lower(), []):
            found.append((match.start(), name))
        if not wanted:
            break
    return sorted(found)


def planned_calls(request: ChatRequest, *, plain: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The function calls the demo makes for `request`: (name, arguments) pairs, maybe none.
    Functions named exactly (or forced, or the first one when a call is required); with
    `plain`, instead, the functions asked for in plain words (demo_words.choose)."""
    functions = _functions(request)
    choice = request.tool_choice
    forced = _forced(request)
    if not functions or choice == "none" or (plain and forced is not None):
        return []
    text = _latest_user_text(request.messages) or ""
    if plain:
        chosen = demo_words.choose(text, functions, request.parallel_tool_calls)
        return [_call(functions, name, text, text, text) for name in chosen]
    mentions = _mentions(text, list(functions))
    if forced in functions:
        mentions = [m for m in mentions if m[1] == forced] or [(len(text), forced)]
    elif choice == "required" and not mentions:
        chosen = demo_words.choose(text, functions, parallel=False) or list(functions)
        mentions = [(len(text), chosen[0])]
    if not request.parallel_tool_calls:
        mentions = mentions[:1]
    calls = []
    for number, (start, name) in enumerate(mentions):
        # Values written right after a function's name belong to that function first; so do
        # values said in passing when several functions are named.
        end = mentions[number + 1][0] if number + 1 < len(mentions) else len(text)
        passing = text[start:end] if len(mentions) > 1 else text
        calls.append(_call(functions, name, text[start:end], text, passing))
    return calls


def _call(
    functions: dict[str, dict[str, Any]], name: str, own: str, text: str, passing: str
) -> tuple[str, dict[str, Any]]:
    """`name` with arguments: `key=value` pairs from `own`, else from `text`, else values
    said in passing in `passing`, else made up (see schema_values.fill_object)."""
    schema = functions[name].get("parameters") or {"type": "object", "properties": {}}
    words = demo_words.Words(demo_words.name_terms(name))
    known = demo_words.guesses(schema, passing, words)
    return name, fill_object(schema, own, text, known=known)


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
    special = _tools_reply(request, user_text or "")
    if special:
        return special
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

    @staticmethod
    def calls(request: ChatRequest) -> list[tuple[str, dict[str, Any]]]:
        """First match wins: functions named exactly (or forced), code to run, functions
        asked for in plain words, a file search."""
        return (
            planned_calls(request)
            or code_calls(request)
            or planned_calls(request, plain=True)
            or search_calls(request)
        )

    def stream(self, request: ChatRequest) -> Iterator[ProviderEvent]:
        prompt_tokens = estimate_tokens(prompt_text(request))
        outputs = submitted_outputs(request.messages)
        builtin = outputs is not None and all(name in tooldefs.NAMES for name, _ in outputs)
        calls = [] if outputs is not None else self.calls(request)
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
        question = _latest_user_text(request.messages) or ""
        answer = (
            builtin_reply(outputs, question)
            if builtin and outputs
            else reply_text(request, outputs)
        )
        for piece in pieces(answer):
            if budget is not None and estimate_tokens(written + piece) > budget:
                reason = "length"
                break
            written += piece
            yield TextDelta(piece)
        yield Usage(prompt_tokens, estimate_tokens(written))
        yield Finish(reason)
