"""Run steps, their details and tool calls, and their stream deltas."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .shared import (
    APIModel,
    DeltaPart,
    LastError,
    Resource,
    Unknown,
    Usage,
    delta_of,
    one_of,
)
from .tools import FileSearchRankingOptions


class MessageCreation(APIModel):
    message_id: str = ""


class MessageCreationStepDetails(APIModel):
    type: Literal["message_creation"] = "message_creation"
    message_creation: MessageCreation = Field(default_factory=MessageCreation)


class CodeInterpreterLogs(APIModel):
    type: Literal["logs"] = "logs"
    logs: str = ""
    index: int | None = None  # present in deltas only


class CodeInterpreterImage(APIModel):
    file_id: str | None = None


class CodeInterpreterOutputImage(APIModel):
    type: Literal["image"] = "image"
    image: CodeInterpreterImage = Field(default_factory=CodeInterpreterImage)
    index: int | None = None


UnknownCodeOutput = UnknownToolCall = UnknownStepDetails = Unknown


CodeInterpreterOutput = one_of(CodeInterpreterLogs, CodeInterpreterOutputImage)


class CodeInterpreter(APIModel):
    input: str = ""
    outputs: list[CodeInterpreterOutput] = Field(default_factory=list)


class CodeInterpreterToolCall(APIModel):
    id: str = ""
    type: Literal["code_interpreter"] = "code_interpreter"
    code_interpreter: CodeInterpreter = Field(default_factory=CodeInterpreter)


class FileSearchResultContent(APIModel):
    type: str | None = None
    text: str | None = None


class FileSearchResult(APIModel):
    file_id: str = ""
    file_name: str = ""
    score: float = 0.0
    content: list[FileSearchResultContent] | None = None


class FileSearchCall(APIModel):
    ranking_options: FileSearchRankingOptions | None = None
    results: list[FileSearchResult] | None = None


class FileSearchToolCall(APIModel):
    id: str = ""
    type: Literal["file_search"] = "file_search"
    file_search: FileSearchCall = Field(default_factory=FileSearchCall)


class StepFunction(APIModel):
    name: str = ""
    arguments: str = ""
    output: str | None = None


class FunctionToolCall(APIModel):
    id: str = ""
    type: Literal["function"] = "function"
    function: StepFunction = Field(default_factory=StepFunction)


ToolCall = one_of(CodeInterpreterToolCall, FileSearchToolCall, FunctionToolCall)


class ToolCallsStepDetails(APIModel):
    type: Literal["tool_calls"] = "tool_calls"
    tool_calls: list[ToolCall] = Field(default_factory=list)


StepDetails = one_of(MessageCreationStepDetails, ToolCallsStepDetails)


class RunStep(Resource):
    object: str = "thread.run.step"
    assistant_id: str = ""
    thread_id: str = ""
    run_id: str = ""
    type: Literal["message_creation", "tool_calls"] | str = "message_creation"
    status: Literal["in_progress", "cancelled", "failed", "completed", "expired"] | str = (
        "in_progress"
    )
    step_details: StepDetails | None = None
    last_error: LastError | None = None
    expired_at: int | None = None
    expires_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    completed_at: int | None = None
    metadata: dict[str, str] | None = None
    usage: Usage | None = None


FunctionToolCallDelta = delta_of(FunctionToolCall, DeltaPart)
CodeInterpreterToolCallDelta = delta_of(CodeInterpreterToolCall, DeltaPart)
FunctionDelta = delta_of(StepFunction)
CodeInterpreterDelta = delta_of(CodeInterpreter)


class FileSearchToolCallDelta(DeltaPart):
    """Written out: the file search part of a delta is kept as the plain dict it came as."""

    type: Literal["file_search"] = "file_search"
    id: str | None = None
    file_search: dict[str, Any] | None = None


UnknownToolCallDelta = DeltaPart


ToolCallDelta = one_of(
    FunctionToolCallDelta, CodeInterpreterToolCallDelta, FileSearchToolCallDelta, unknown=DeltaPart
)


class ToolCallsStepDetailsDelta(APIModel):
    type: Literal["tool_calls"] = "tool_calls"
    tool_calls: list[ToolCallDelta] | None = None


MessageCreationStepDetailsDelta = delta_of(MessageCreationStepDetails)
MessageCreationDelta = delta_of(MessageCreation)


StepDetailsDelta = one_of(ToolCallsStepDetailsDelta, MessageCreationStepDetailsDelta)


class RunStepDeltaBody(APIModel):
    step_details: StepDetailsDelta | None = None


class RunStepDelta(APIModel):
    id: str
    object: str = "thread.run.step.delta"
    delta: RunStepDeltaBody = Field(default_factory=RunStepDeltaBody)
