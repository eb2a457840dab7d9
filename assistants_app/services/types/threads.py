"""Threads (`/threads`), and the body of create-thread-and-run."""

from __future__ import annotations

from pydantic import Field

from .messages import MessageCreateParams
from .runs import _RunOverrides
from .shared import DeletedObject, Metadata, NonEmpty, Params, Resource
from .tools import ToolResources, ToolResourcesParam


class Thread(Resource):
    object: str = "thread"
    tool_resources: ToolResources | None = None
    metadata: dict[str, str] | None = Field(default_factory=dict)


class ThreadUpdateParams(Params):
    tool_resources: ToolResourcesParam | None = None
    metadata: Metadata | None = None


class ThreadCreateParams(ThreadUpdateParams):
    """What an update takes, and the thread's first messages."""

    messages: list[MessageCreateParams] | None = None


class ThreadCreateAndRunParams(_RunOverrides):
    assistant_id: NonEmpty
    thread: ThreadCreateParams | None = None
    tool_resources: ToolResourcesParam | None = None


ThreadDeleted = DeletedObject
