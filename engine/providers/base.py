"""The contract between the engine's run executor and the model providers.

The executor turns a run into a `ChatRequest` (system prompt, the thread's messages, tool
results, function tool definitions) and consumes the `ProviderEvent`s a provider streams back.
Providers know nothing of threads, runs or the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class ToolCall:
    id: str  # "call_…"
    name: str
    arguments: str  # JSON text, as the model wrote it


@dataclass
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)  # role == "assistant" only
    tool_call_id: str | None = None  # role == "tool" only


@dataclass
class ChatRequest:
    model: str
    messages: list[ChatMessage]
    # Function tools in the chat-completions shape:
    # {"type": "function", "function": {"name", "description", "parameters", "strict"}}
    tools: list[dict[str, Any]] = field(default_factory=list)
    # "auto" | "none" | "required" | {"type": "function", "function": {"name": …}}
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool = True
    temperature: float | None = None
    top_p: float | None = None
    max_completion_tokens: int | None = None
    # None/"auto" | {"type": "text"} | {"type": "json_object"} | {"type": "json_schema", …}
    response_format: str | dict[str, Any] | None = None
    reasoning_effort: str | None = None
    # The prompt's size as counted under max_prompt_tokens, to learn from the server's count.
    counted_prompt_tokens: int | None = None


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A piece of one tool call; pieces with the same index are concatenated."""

    index: int
    id: str | None = None  # set on the first piece
    name: str | None = None  # set on the first piece
    arguments: str = ""  # a fragment of the JSON arguments


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False  # True: the server said nothing, so these are the engine's guess


@dataclass(frozen=True)
class Finish:
    reason: Literal["stop", "tool_calls", "length", "content_filter"]


ProviderEvent = TextDelta | ToolCallDelta | Usage | Finish


class ProviderError(Exception):
    """A provider failure, mapped by the executor onto the run's `last_error`."""

    def __init__(
        self,
        message: str,
        *,
        code: Literal["server_error", "rate_limit_exceeded", "invalid_prompt"] = "server_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# Characters of function-call arguments one model answer may write: a run's required_action
# is stored and sent to every poller, so a runaway model (or schema) must not make it huge.
MAX_TOOL_ARGUMENTS = 100_000


def bounded(events: Iterable[ProviderEvent]) -> Iterator[ProviderEvent]:
    """`events`, failing the answer with a ProviderError (the run's last_error) once its
    function-call arguments pass MAX_TOOL_ARGUMENTS characters."""
    written = 0
    try:
        for event in events:
            if isinstance(event, ToolCallDelta):
                written += len(event.arguments)
                if written > MAX_TOOL_ARGUMENTS:
                    raise ProviderError(
                        f"The model wrote more than {MAX_TOOL_ARGUMENTS:,} characters of "
                        "function-call arguments in one answer; the engine stops the run there."
                    )
            yield event
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # a streaming provider lets go of its connection at once


@dataclass(frozen=True)
class ModelInfo:
    id: str
    owned_by: str
    created: int = 0
    description: str = ""


class Provider(Protocol):
    name: str

    def models(self) -> list[ModelInfo]: ...

    def stream(self, request: ChatRequest) -> Iterator[ProviderEvent]: ...
