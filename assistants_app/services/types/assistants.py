"""Assistants (`/assistants`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .shared import (
    ASSISTANT_TOOLS_MAX,
    DeletedObject,
    Description,
    Name,
    NonEmpty,
    ReasoningEffort,
    Resource,
)
from .tools import (
    ModelSettingsParams,
    ResponseFormat,
    Tool,
    ToolParam,
    ToolResources,
    ToolResourcesParam,
)


class Assistant(Resource):
    object: str = "assistant"
    name: str | None = None
    description: str | None = None
    model: str = ""
    instructions: str | None = None
    tools: list[Tool] = Field(default_factory=list)
    tool_resources: ToolResources | None = None
    metadata: dict[str, str] | None = Field(default_factory=dict)
    temperature: float | None = None
    top_p: float | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: str | None = None


class AssistantUpdateParams(ModelSettingsParams):
    name: Name | None = None
    description: Description | None = None
    reasoning_effort: ReasoningEffort | None = None
    tool_resources: ToolResourcesParam | None = None
    tools: Annotated[list[ToolParam], Field(max_length=ASSISTANT_TOOLS_MAX)] | None = None


class AssistantCreateParams(AssistantUpdateParams):
    """The same fields as an update, except that a new assistant needs its model."""

    model: NonEmpty
    tools: Annotated[list[ToolParam], Field(max_length=ASSISTANT_TOOLS_MAX)] = Field(
        default_factory=list
    )


AssistantDeleted = DeletedObject
