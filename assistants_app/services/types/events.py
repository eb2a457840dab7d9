"""Stream events: `event:` names the kind, `data:` holds one of the objects of the other modules."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from .messages import Message, MessageDelta
from .runs import Run
from .shared import UNKNOWN, APIModel, ErrorObject
from .steps import RunStep, RunStepDelta
from .threads import Thread

ThreadEventName = Literal["thread.created"]


RunEventName = Literal[
    "thread.run.created",
    "thread.run.queued",
    "thread.run.in_progress",
    "thread.run.requires_action",
    "thread.run.completed",
    "thread.run.incomplete",
    "thread.run.failed",
    "thread.run.cancelling",
    "thread.run.cancelled",
    "thread.run.expired",
]


RunStepEventName = Literal[
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.run.step.completed",
    "thread.run.step.failed",
    "thread.run.step.cancelled",
    "thread.run.step.expired",
]


MessageEventName = Literal[
    "thread.message.created",
    "thread.message.in_progress",
    "thread.message.completed",
    "thread.message.incomplete",
]


class ThreadEvent(APIModel):
    event: ThreadEventName
    data: Thread


class RunEvent(APIModel):
    event: RunEventName
    data: Run


class RunStepEvent(APIModel):
    event: RunStepEventName
    data: RunStep


class RunStepDeltaEvent(APIModel):
    event: Literal["thread.run.step.delta"]
    data: RunStepDelta


class MessageEvent(APIModel):
    event: MessageEventName
    data: Message


class MessageDeltaEvent(APIModel):
    event: Literal["thread.message.delta"]
    data: MessageDelta


class ErrorEvent(APIModel):
    """A mid-stream `error` event; the stream raises `APIStreamError` when it meets one."""

    event: Literal["error"]
    data: ErrorObject


class UnknownEvent(APIModel):
    """An event name this client does not know yet; its data is kept as parsed JSON."""

    event: str
    data: Any = None


def _event_tag(value: Any) -> str:
    name = value.get("event") if isinstance(value, dict) else getattr(value, "event", None)
    if not isinstance(name, str):
        return UNKNOWN
    if name == "thread.created":
        return "thread"
    if name in ("thread.run.step.delta", "thread.message.delta", "error"):
        return name
    if name in RunStepEventName.__args__:  # type: ignore[attr-defined]
        return "step"
    if name in RunEventName.__args__:  # type: ignore[attr-defined]
        return "run"
    if name in MessageEventName.__args__:  # type: ignore[attr-defined]
        return "message"
    return UNKNOWN


AssistantStreamEvent = Annotated[
    Annotated[ThreadEvent, Tag("thread")]
    | Annotated[RunEvent, Tag("run")]
    | Annotated[RunStepEvent, Tag("step")]
    | Annotated[RunStepDeltaEvent, Tag("thread.run.step.delta")]
    | Annotated[MessageEvent, Tag("message")]
    | Annotated[MessageDeltaEvent, Tag("thread.message.delta")]
    | Annotated[ErrorEvent, Tag("error")]
    | Annotated[UnknownEvent, Tag(UNKNOWN)],
    Discriminator(_event_tag),
]
