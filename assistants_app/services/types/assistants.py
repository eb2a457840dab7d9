"""Assistants (`/assistants`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from .shared import (
    ASSISTANT_TOOLS_MAX,
    DeletedObject,
    Description,
    Instructions,
    Metadata,
    Name,
    NonEmpty,
    Params,
    ReasoningEffort,
    Resource,
    Temperature,
    TopP,
)
from .tools import (
    ResponseFormat,
    ResponseFormatParam,
    Tool,
    ToolParam,
    ToolResources,
    ToolResourcesParam,
    _unique_function_names,
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


class AssistantUpdateParams(Params):
    model: NonEmpty | None = None
    name: Name | None = None
    description: Description | None = None
    instructions: Instructions | None = None
    reasoning_effort: ReasoningEffort | None = None
    tools: Annotated[list[ToolParam], Field(max_length=ASSISTANT_TOOLS_MAX)] | None = None
    tool_resources: ToolResourcesParam | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    response_format: ResponseFormatParam | None = None

    _check_tools = field_validator("tools")(_unique_function_names)


class AssistantCreateParams(AssistantUpdateParams):
    """The same fields as an update, except that a new assistant needs its model."""

    model: NonEmpty
    tools: Annotated[list[ToolParam], Field(max_length=ASSISTANT_TOOLS_MAX)] = Field(
        default_factory=list
    )


AssistantDeleted = DeletedObject
