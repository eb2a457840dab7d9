"""Runs: statuses, the function calls a run waits on, and the params to create and answer one."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from .messages import MessageCreateParams
from .shared import (
    RUN_TOOLS_MAX,
    APIModel,
    Instructions,
    LastError,
    Metadata,
    NonEmpty,
    Params,
    ReasoningEffort,
    Resource,
    TokenLimit,
    Usage,
)
from .tools import (
    ModelSettingsParams,
    ResponseFormat,
    Tool,
    ToolChoice,
    ToolChoiceParam,
    ToolParam,
    ToolResources,
    TruncationStrategy,
    TruncationStrategyParam,
)

RunStatus = Literal[
    "queued",
    "in_progress",
    "requires_action",
    "cancelling",
    "cancelled",
    "failed",
    "completed",
    "incomplete",
    "expired",
]


# `poll` returns once a run reaches one of these (requires_action: the caller must act).
RUN_STOP_STATUSES: frozenset[str] = frozenset(
    {"requires_action", "cancelled", "completed", "failed", "incomplete", "expired"}
)


RUN_TERMINAL_STATUSES: frozenset[str] = frozenset(
    {"cancelled", "completed", "failed", "incomplete", "expired"}
)


class FunctionCall(APIModel):
    name: str = ""
    arguments: str = ""


class RequiredToolCall(APIModel):
    """A function call a run is waiting on; answer it with `ToolOutput(tool_call_id=id, …)`."""

    id: str
    type: str = "function"
    function: FunctionCall = Field(default_factory=FunctionCall)


class SubmitToolOutputsAction(APIModel):
    tool_calls: list[RequiredToolCall] = Field(default_factory=list)


class RequiredAction(APIModel):
    type: str = "submit_tool_outputs"
    submit_tool_outputs: SubmitToolOutputsAction = Field(default_factory=SubmitToolOutputsAction)


class RunIncompleteDetails(APIModel):
    reason: str | None = None


class Run(Resource):
    object: str = "thread.run"
    thread_id: str = ""
    assistant_id: str = ""
    status: RunStatus | str = "queued"
    required_action: RequiredAction | None = None
    last_error: LastError | None = None
    expires_at: int | None = None
    started_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    completed_at: int | None = None
    incomplete_details: RunIncompleteDetails | None = None
    model: str | None = None
    instructions: str | None = None
    tools: list[Tool] = Field(default_factory=list)
    tool_resources: ToolResources | None = None
    metadata: dict[str, str] | None = Field(default_factory=dict)
    usage: Usage | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_prompt_tokens: int | None = None
    max_completion_tokens: int | None = None
    truncation_strategy: TruncationStrategy | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in RUN_TERMINAL_STATUSES

    @property
    def required_tool_calls(self) -> list[RequiredToolCall]:
        """The function calls to answer when `status == "requires_action"`, else []."""
        if self.status != "requires_action" or self.required_action is None:
            return []
        return self.required_action.submit_tool_outputs.tool_calls


RunInclude = Literal["step_details.tool_calls[*].file_search.results[*].content"]


class _RunOverrides(ModelSettingsParams):
    """What a run may override on its assistant (shared by create run / create thread and run)."""

    stream: bool | None = None
    max_prompt_tokens: TokenLimit | None = None
    max_completion_tokens: TokenLimit | None = None
    truncation_strategy: TruncationStrategyParam | None = None
    tool_choice: ToolChoiceParam | None = None
    parallel_tool_calls: bool | None = None
    tools: Annotated[list[ToolParam], Field(max_length=RUN_TOOLS_MAX)] | None = None


class RunCreateParams(_RunOverrides):
    assistant_id: NonEmpty
    reasoning_effort: ReasoningEffort | None = None
    additional_instructions: Instructions | None = None
    additional_messages: list[MessageCreateParams] | None = None


class RunUpdateParams(Params):
    metadata: Metadata | None = None


class ToolOutputParam(Params):
    tool_call_id: NonEmpty
    output: str


class RunSubmitToolOutputsParams(Params):
    tool_outputs: Annotated[list[ToolOutputParam], Field(min_length=1)]
    stream: bool | None = None

    @field_validator("tool_outputs")
    @classmethod
    def _one_output_per_call(cls, outputs: list[ToolOutputParam]) -> list[ToolOutputParam]:
        ids = [item.tool_call_id for item in outputs]
        if len(ids) != len(set(ids)):
            raise PydanticCustomError("duplicate_output", "Each tool call may be answered once")
        return outputs
