"""Pydantic models for everything the Assistants API v2 sends back, and for every request body.

Two families, on purpose:

- **Objects** (`Assistant`, `Thread`, `Message`, `Run`, `RunStep`, …) describe what a backend
  answers. They are lenient: unknown fields are kept (`extra="allow"`), almost every field has a
  default, enum-like fields accept values we do not know yet, and a content part, tool or tool
  call of an unknown `type` parses into an `Unknown…` model instead of failing. A newer backend
  must never break the dashboard.
- **Params** (`AssistantCreateParams`, `RunCreateParams`, …) describe what we send. They carry
  the API's limits (lengths, counts, ranges, patterns) so a bad value is refused before anything
  goes over the wire, and so a form can validate with them and map `error["loc"][0]` to a field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

UNKNOWN = "__unknown__"


class APIModel(BaseModel):
    """Base of every model: keeps fields it does not know, so new API fields never break parsing."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())


def _type_tag(known: set[str], key: str = "type") -> Callable[[Any], str]:
    """A discriminator that sends values with an unknown tag to the `Unknown…` fallback model."""

    def tag(value: Any) -> str:
        found = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        return found if found in known else UNKNOWN

    return tag


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------

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


class Usage(APIModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class FunctionDefinition(APIModel):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FileSearchRankingOptions(APIModel):
    ranker: str | None = None
    score_threshold: float | None = None


class FileSearchSettings(APIModel):
    max_num_results: int | None = None
    ranking_options: FileSearchRankingOptions | None = None


class CodeInterpreterTool(APIModel):
    type: Literal["code_interpreter"] = "code_interpreter"


class FileSearchTool(APIModel):
    type: Literal["file_search"] = "file_search"
    file_search: FileSearchSettings | None = None


class FunctionTool(APIModel):
    type: Literal["function"] = "function"
    function: FunctionDefinition


class UnknownTool(APIModel):
    type: str


Tool = Annotated[
    Annotated[CodeInterpreterTool, Tag("code_interpreter")]
    | Annotated[FileSearchTool, Tag("file_search")]
    | Annotated[FunctionTool, Tag("function")]
    | Annotated[UnknownTool, Tag(UNKNOWN)],
    Discriminator(_type_tag({"code_interpreter", "file_search", "function"})),
]


class CodeInterpreterResources(APIModel):
    file_ids: list[str] = Field(default_factory=list)


class FileSearchResources(APIModel):
    vector_store_ids: list[str] = Field(default_factory=list)


class ToolResources(APIModel):
    code_interpreter: CodeInterpreterResources | None = None
    file_search: FileSearchResources | None = None


class ResponseFormatText(APIModel):
    type: Literal["text"] = "text"


class ResponseFormatJSONObject(APIModel):
    type: Literal["json_object"] = "json_object"


class JSONSchemaFormat(APIModel):
    name: str
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatJSONSchema(APIModel):
    type: Literal["json_schema"] = "json_schema"
    json_schema: JSONSchemaFormat


# "auto", or one of the typed formats; anything else is kept as a plain dict.
ResponseFormat = (
    Literal["auto"]
    | ResponseFormatText
    | ResponseFormatJSONObject
    | ResponseFormatJSONSchema
    | dict[str, Any]
    | str
)


class ToolChoiceFunction(APIModel):
    name: str


class NamedToolChoice(APIModel):
    type: str
    function: ToolChoiceFunction | None = None


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice | str


class TruncationStrategy(APIModel):
    type: str = "auto"
    last_messages: int | None = None


class DeletedObject(APIModel):
    id: str
    object: str = ""
    deleted: bool = False


AssistantDeleted = ThreadDeleted = MessageDeleted = FileDeleted = DeletedObject
VectorStoreDeleted = VectorStoreFileDeleted = DeletedObject


class ErrorObject(APIModel):
    """The API's error envelope body: `{"error": {message, type, param, code}}`."""

    message: str = ""
    type: str | None = None
    param: str | None = None
    code: str | int | None = None


# --------------------------------------------------------------------------------------------
# Assistants and threads
# --------------------------------------------------------------------------------------------


class Assistant(APIModel):
    id: str
    object: str = "assistant"
    created_at: int = 0
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


class Thread(APIModel):
    id: str
    object: str = "thread"
    created_at: int = 0
    tool_resources: ToolResources | None = None
    metadata: dict[str, str] | None = Field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Messages and their content parts
# --------------------------------------------------------------------------------------------


class FileCitation(APIModel):
    file_id: str = ""
    quote: str | None = None


class FileCitationAnnotation(APIModel):
    type: Literal["file_citation"] = "file_citation"
    text: str = ""
    file_citation: FileCitation = Field(default_factory=FileCitation)
    start_index: int = 0
    end_index: int = 0


class FilePath(APIModel):
    file_id: str = ""


class FilePathAnnotation(APIModel):
    type: Literal["file_path"] = "file_path"
    text: str = ""
    file_path: FilePath = Field(default_factory=FilePath)
    start_index: int = 0
    end_index: int = 0


class UnknownAnnotation(APIModel):
    type: str


Annotation = Annotated[
    Annotated[FileCitationAnnotation, Tag("file_citation")]
    | Annotated[FilePathAnnotation, Tag("file_path")]
    | Annotated[UnknownAnnotation, Tag(UNKNOWN)],
    Discriminator(_type_tag({"file_citation", "file_path"})),
]


class Text(APIModel):
    value: str = ""
    annotations: list[Annotation] = Field(default_factory=list)


class TextContentBlock(APIModel):
    type: Literal["text"] = "text"
    text: Text


class ImageFile(APIModel):
    file_id: str
    detail: str | None = None


class ImageFileContentBlock(APIModel):
    type: Literal["image_file"] = "image_file"
    image_file: ImageFile


class ImageURL(APIModel):
    url: str
    detail: str | None = None


class ImageURLContentBlock(APIModel):
    type: Literal["image_url"] = "image_url"
    image_url: ImageURL


class RefusalContentBlock(APIModel):
    type: Literal["refusal"] = "refusal"
    refusal: str = ""


class UnknownContentBlock(APIModel):
    type: str


MessageContent = Annotated[
    Annotated[TextContentBlock, Tag("text")]
    | Annotated[ImageFileContentBlock, Tag("image_file")]
    | Annotated[ImageURLContentBlock, Tag("image_url")]
    | Annotated[RefusalContentBlock, Tag("refusal")]
    | Annotated[UnknownContentBlock, Tag(UNKNOWN)],
    Discriminator(_type_tag({"text", "image_file", "image_url", "refusal"})),
]


class AttachmentTool(APIModel):
    type: str


class Attachment(APIModel):
    file_id: str | None = None
    tools: list[AttachmentTool] = Field(default_factory=list)


class MessageIncompleteDetails(APIModel):
    reason: str = ""


class Message(APIModel):
    id: str
    object: str = "thread.message"
    created_at: int = 0
    thread_id: str = ""
    status: Literal["in_progress", "incomplete", "completed"] | str | None = None
    incomplete_details: MessageIncompleteDetails | None = None
    completed_at: int | None = None
    incomplete_at: int | None = None
    role: Literal["user", "assistant"] | str = "user"
    content: list[MessageContent] = Field(default_factory=list)
    assistant_id: str | None = None
    run_id: str | None = None
    attachments: list[Attachment] | None = None
    metadata: dict[str, str] | None = Field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message's text parts joined: what a chat pane shows."""
        return "\n\n".join(
            part.text.value for part in self.content if isinstance(part, TextContentBlock)
        )


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------


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


class LastError(APIModel):
    code: str | None = None
    message: str = ""


class RunIncompleteDetails(APIModel):
    reason: str | None = None


class Run(APIModel):
    id: str
    object: str = "thread.run"
    created_at: int = 0
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


# --------------------------------------------------------------------------------------------
# Run steps, their details and tool calls
# --------------------------------------------------------------------------------------------


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


class UnknownCodeOutput(APIModel):
    type: str


CodeInterpreterOutput = Annotated[
    Annotated[CodeInterpreterLogs, Tag("logs")]
    | Annotated[CodeInterpreterOutputImage, Tag("image")]
    | Annotated[UnknownCodeOutput, Tag(UNKNOWN)],
    Discriminator(_type_tag({"logs", "image"})),
]


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


class UnknownToolCall(APIModel):
    type: str


ToolCall = Annotated[
    Annotated[CodeInterpreterToolCall, Tag("code_interpreter")]
    | Annotated[FileSearchToolCall, Tag("file_search")]
    | Annotated[FunctionToolCall, Tag("function")]
    | Annotated[UnknownToolCall, Tag(UNKNOWN)],
    Discriminator(_type_tag({"code_interpreter", "file_search", "function"})),
]


class ToolCallsStepDetails(APIModel):
    type: Literal["tool_calls"] = "tool_calls"
    tool_calls: list[ToolCall] = Field(default_factory=list)


class UnknownStepDetails(APIModel):
    type: str


StepDetails = Annotated[
    Annotated[MessageCreationStepDetails, Tag("message_creation")]
    | Annotated[ToolCallsStepDetails, Tag("tool_calls")]
    | Annotated[UnknownStepDetails, Tag(UNKNOWN)],
    Discriminator(_type_tag({"message_creation", "tool_calls"})),
]


class RunStep(APIModel):
    id: str
    object: str = "thread.run.step"
    created_at: int = 0
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


# --------------------------------------------------------------------------------------------
# Deltas (streaming): every field optional, lists carry `index` to merge by
# --------------------------------------------------------------------------------------------


class TextDelta(APIModel):
    value: str | None = None
    annotations: list[dict[str, Any]] | None = None


class TextDeltaBlock(APIModel):
    index: int = 0
    type: Literal["text"] = "text"
    text: TextDelta | None = None


class ImageFileDelta(APIModel):
    file_id: str | None = None
    detail: str | None = None


class ImageFileDeltaBlock(APIModel):
    index: int = 0
    type: Literal["image_file"] = "image_file"
    image_file: ImageFileDelta | None = None


class ImageURLDelta(APIModel):
    url: str | None = None
    detail: str | None = None


class ImageURLDeltaBlock(APIModel):
    index: int = 0
    type: Literal["image_url"] = "image_url"
    image_url: ImageURLDelta | None = None


class RefusalDeltaBlock(APIModel):
    index: int = 0
    type: Literal["refusal"] = "refusal"
    refusal: str | None = None


class UnknownDeltaBlock(APIModel):
    index: int = 0
    type: str


MessageContentDelta = Annotated[
    Annotated[TextDeltaBlock, Tag("text")]
    | Annotated[ImageFileDeltaBlock, Tag("image_file")]
    | Annotated[ImageURLDeltaBlock, Tag("image_url")]
    | Annotated[RefusalDeltaBlock, Tag("refusal")]
    | Annotated[UnknownDeltaBlock, Tag(UNKNOWN)],
    Discriminator(_type_tag({"text", "image_file", "image_url", "refusal"})),
]


class MessageDeltaBody(APIModel):
    role: str | None = None
    content: list[MessageContentDelta] | None = None


class MessageDelta(APIModel):
    id: str
    object: str = "thread.message.delta"
    delta: MessageDeltaBody = Field(default_factory=MessageDeltaBody)

    @property
    def text(self) -> str:
        """The text this delta adds (what a streaming chat pane appends)."""
        return "".join(
            part.text.value or ""
            for part in self.delta.content or []
            if isinstance(part, TextDeltaBlock) and part.text is not None
        )


class FunctionDelta(APIModel):
    name: str | None = None
    arguments: str | None = None
    output: str | None = None


class FunctionToolCallDelta(APIModel):
    index: int = 0
    type: Literal["function"] = "function"
    id: str | None = None
    function: FunctionDelta | None = None


class CodeInterpreterDelta(APIModel):
    input: str | None = None
    outputs: list[CodeInterpreterOutput] | None = None


class CodeInterpreterToolCallDelta(APIModel):
    index: int = 0
    type: Literal["code_interpreter"] = "code_interpreter"
    id: str | None = None
    code_interpreter: CodeInterpreterDelta | None = None


class FileSearchToolCallDelta(APIModel):
    index: int = 0
    type: Literal["file_search"] = "file_search"
    id: str | None = None
    file_search: dict[str, Any] | None = None


class UnknownToolCallDelta(APIModel):
    index: int = 0
    type: str


ToolCallDelta = Annotated[
    Annotated[FunctionToolCallDelta, Tag("function")]
    | Annotated[CodeInterpreterToolCallDelta, Tag("code_interpreter")]
    | Annotated[FileSearchToolCallDelta, Tag("file_search")]
    | Annotated[UnknownToolCallDelta, Tag(UNKNOWN)],
    Discriminator(_type_tag({"function", "code_interpreter", "file_search"})),
]


class ToolCallsStepDetailsDelta(APIModel):
    type: Literal["tool_calls"] = "tool_calls"
    tool_calls: list[ToolCallDelta] | None = None


class MessageCreationDelta(APIModel):
    message_id: str | None = None


class MessageCreationStepDetailsDelta(APIModel):
    type: Literal["message_creation"] = "message_creation"
    message_creation: MessageCreationDelta | None = None


StepDetailsDelta = Annotated[
    Annotated[ToolCallsStepDetailsDelta, Tag("tool_calls")]
    | Annotated[MessageCreationStepDetailsDelta, Tag("message_creation")]
    | Annotated[UnknownStepDetails, Tag(UNKNOWN)],
    Discriminator(_type_tag({"tool_calls", "message_creation"})),
]


class RunStepDeltaBody(APIModel):
    step_details: StepDetailsDelta | None = None


class RunStepDelta(APIModel):
    id: str
    object: str = "thread.run.step.delta"
    delta: RunStepDeltaBody = Field(default_factory=RunStepDeltaBody)


# --------------------------------------------------------------------------------------------
# Stream events: `event:` names the kind, `data:` holds one of the objects above
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Files, vector stores, models
# --------------------------------------------------------------------------------------------


class FileObject(APIModel):
    id: str
    object: str = "file"
    bytes: int | None = None
    created_at: int = 0
    expires_at: int | None = None
    filename: str = ""
    purpose: str = ""
    status: str | None = None
    status_details: str | None = None


class FileCounts(APIModel):
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0


class VectorStoreExpiresAfter(APIModel):
    anchor: str = "last_active_at"
    days: int = 1


class VectorStore(APIModel):
    id: str
    object: str = "vector_store"
    created_at: int = 0
    name: str | None = None
    description: str | None = None
    usage_bytes: int | None = None
    bytes: int | None = None
    file_counts: FileCounts = Field(default_factory=FileCounts)
    status: str | None = None
    expires_after: VectorStoreExpiresAfter | None = None
    expires_at: int | None = None
    last_active_at: int | None = None
    metadata: dict[str, str] | None = Field(default_factory=dict)


class StaticChunking(APIModel):
    max_chunk_size_tokens: int = 800
    chunk_overlap_tokens: int = 400


class ChunkingStrategy(APIModel):
    type: str = "auto"
    static: StaticChunking | None = None


class VectorStoreFileError(APIModel):
    code: str | None = None
    message: str = ""


class VectorStoreFile(APIModel):
    id: str
    object: str = "vector_store.file"
    usage_bytes: int | None = None
    created_at: int = 0
    vector_store_id: str = ""
    status: str | None = None
    last_error: VectorStoreFileError | None = None
    chunking_strategy: ChunkingStrategy | dict[str, Any] | None = None
    attributes: dict[str, str | float | bool] | None = None


class VectorStoreFileBatch(APIModel):
    id: str
    object: str = "vector_store.file_batch"
    created_at: int = 0
    vector_store_id: str = ""
    status: str | None = None
    file_counts: FileCounts = Field(default_factory=FileCounts)


class TextChunk(APIModel):
    type: str = "text"
    text: str = ""


class VectorStoreFileContent(APIModel):
    """GET …/files/{id}/content: the parsed text of a file in a vector store."""

    object: str | None = None
    file_id: str | None = None
    filename: str | None = None
    attributes: dict[str, str | float | bool] | None = None
    data: list[TextChunk] = Field(default_factory=list)
    content: list[TextChunk] = Field(default_factory=list)
    has_more: bool = False
    next_page: str | None = None


class VectorStoreSearchResult(APIModel):
    file_id: str = ""
    filename: str = ""
    score: float = 0.0
    attributes: dict[str, str | float | bool] | None = None
    content: list[TextChunk] = Field(default_factory=list)


class VectorStoreSearchResultsPage(APIModel):
    object: str = "vector_store.search_results.page"
    search_query: str | list[str] | None = None
    data: list[VectorStoreSearchResult] = Field(default_factory=list)
    has_more: bool = False
    next_page: str | None = None


class Model(APIModel):
    id: str
    object: str = "model"
    created: int | None = None
    owned_by: str | None = None


# ============================================================================================
# Request bodies (params): the API's limits, checked before anything is sent
# ============================================================================================

METADATA_MAX_PAIRS = 16
METADATA_KEY_MAX = 64
METADATA_VALUE_MAX = 512
NAME_MAX = 256
DESCRIPTION_MAX = 512
INSTRUCTIONS_MAX = 256_000
ASSISTANT_TOOLS_MAX = 128
RUN_TOOLS_MAX = 20
CODE_INTERPRETER_FILES_MAX = 20
VECTOR_STORE_IDS_MAX = 1
FUNCTION_NAME_MAX = 64
FUNCTION_NAME_PATTERN = rf"^[a-zA-Z0-9_-]{{1,{FUNCTION_NAME_MAX}}}$"
MIN_TOKENS_LIMIT = 256

MetadataKey = Annotated[str, StringConstraints(max_length=METADATA_KEY_MAX)]


def _check_metadata(value: dict[str, str]) -> dict[str, str]:
    # One readable message per broken rule, for the form that shows it.
    if len(value) > METADATA_MAX_PAIRS:
        raise PydanticCustomError(
            "metadata_too_many",
            "At most {max} metadata pairs are allowed",
            {"max": METADATA_MAX_PAIRS},
        )
    for key, item in value.items():
        if not key or len(key) > METADATA_KEY_MAX:
            raise PydanticCustomError(
                "metadata_key",
                "Metadata key '{key}' must be 1 to {max} characters long",
                {"key": key[:70], "max": METADATA_KEY_MAX},
            )
        if len(item) > METADATA_VALUE_MAX:
            raise PydanticCustomError(
                "metadata_value",
                "The metadata value of '{key}' must be at most {max} characters long",
                {"key": key, "max": METADATA_VALUE_MAX},
            )
    return value


Metadata = Annotated[dict[str, str], AfterValidator(_check_metadata)]
Name = Annotated[str, StringConstraints(max_length=NAME_MAX)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]
Instructions = Annotated[str, StringConstraints(max_length=INSTRUCTIONS_MAX)]
Temperature = Annotated[float, Field(ge=0, le=2)]
TopP = Annotated[float, Field(ge=0, le=1)]
TokenLimit = Annotated[int, Field(ge=MIN_TOKENS_LIMIT)]
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
RunInclude = Literal["step_details.tool_calls[*].file_search.results[*].content"]


class Params(BaseModel):
    """Base of request bodies: refuses what the API would refuse, keeps unknown extras."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    def to_body(self) -> dict[str, Any]:
        """The JSON body: the top-level fields the caller set (an explicit None is sent as null,
        which clears a value on update); inside them, unset optional parts are left out."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        fields = type(self).model_fields
        body: dict[str, Any] = {}
        chosen = self.model_fields_set
        # Declared order, then extras: the same body for the same arguments, every time.
        for name in [*(n for n in fields if n in chosen), *(self.model_extra or ())]:
            key = (fields[name].alias or name) if name in fields else name
            body[key] = dumped.get(key)
        return body


class FunctionDefinitionParam(Params):
    name: Annotated[str, StringConstraints(pattern=FUNCTION_NAME_PATTERN)]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionToolParam(Params):
    type: Literal["function"] = "function"
    function: FunctionDefinitionParam


class CodeInterpreterToolParam(Params):
    type: Literal["code_interpreter"] = "code_interpreter"


class FileSearchRankingOptionsParam(Params):
    ranker: Literal["auto", "default_2024_08_21"] | None = None
    score_threshold: Annotated[float, Field(ge=0, le=1)]


class FileSearchSettingsParam(Params):
    max_num_results: Annotated[int, Field(ge=1, le=50)] | None = None
    ranking_options: FileSearchRankingOptionsParam | None = None


class FileSearchToolParam(Params):
    type: Literal["file_search"] = "file_search"
    file_search: FileSearchSettingsParam | None = None


ToolParam = Annotated[
    CodeInterpreterToolParam | FileSearchToolParam | FunctionToolParam,
    Field(discriminator="type"),
]


def _unique_function_names(tools: list[Any] | None) -> list[Any] | None:
    names = [t.function.name for t in tools or [] if isinstance(t, FunctionToolParam)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PydanticCustomError(
            "duplicate_function",
            "Function names must be unique; repeated: {names}",
            {"names": ", ".join(duplicates)},
        )
    return tools


class CodeInterpreterResourcesParam(Params):
    file_ids: Annotated[list[str], Field(max_length=CODE_INTERPRETER_FILES_MAX)] = Field(
        default_factory=list
    )


class FileSearchResourcesParam(Params):
    vector_store_ids: Annotated[list[str], Field(max_length=VECTOR_STORE_IDS_MAX)] = Field(
        default_factory=list
    )


class ToolResourcesParam(Params):
    code_interpreter: CodeInterpreterResourcesParam | None = None
    file_search: FileSearchResourcesParam | None = None


class JSONSchemaFormatParam(Params):
    name: Annotated[str, StringConstraints(pattern=FUNCTION_NAME_PATTERN)]
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatTextParam(Params):
    type: Literal["text"] = "text"


class ResponseFormatJSONObjectParam(Params):
    type: Literal["json_object"] = "json_object"


class ResponseFormatJSONSchemaParam(Params):
    type: Literal["json_schema"] = "json_schema"
    json_schema: JSONSchemaFormatParam


ResponseFormatParam = (
    Literal["auto"]
    | Annotated[
        ResponseFormatTextParam | ResponseFormatJSONObjectParam | ResponseFormatJSONSchemaParam,
        Field(discriminator="type"),
    ]
)


class ToolChoiceFunctionParam(Params):
    name: Annotated[str, StringConstraints(pattern=FUNCTION_NAME_PATTERN)]


class NamedToolChoiceParam(Params):
    type: Literal["function", "code_interpreter", "file_search"]
    function: ToolChoiceFunctionParam | None = None

    @model_validator(mode="after")
    def _function_needs_name(self) -> NamedToolChoiceParam:
        if self.type == "function" and self.function is None:
            raise ValueError("A function tool choice needs the function's name")
        return self


ToolChoiceParam = Literal["none", "auto", "required"] | NamedToolChoiceParam


class TruncationStrategyParam(Params):
    type: Literal["auto", "last_messages"]
    last_messages: Annotated[int, Field(ge=1)] | None = None


class AssistantCreateParams(Params):
    model: NonEmpty
    name: Name | None = None
    description: Description | None = None
    instructions: Instructions | None = None
    reasoning_effort: ReasoningEffort | None = None
    tools: Annotated[list[ToolParam], Field(max_length=ASSISTANT_TOOLS_MAX)] = Field(
        default_factory=list
    )
    tool_resources: ToolResourcesParam | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    response_format: ResponseFormatParam | None = None

    _check_tools = field_validator("tools")(_unique_function_names)


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


class TextContentParam(Params):
    type: Literal["text"] = "text"
    text: NonEmpty


class ImageFileParam(Params):
    file_id: NonEmpty
    detail: Literal["auto", "low", "high"] | None = None


class ImageFileContentParam(Params):
    type: Literal["image_file"] = "image_file"
    image_file: ImageFileParam


class ImageURLParam(Params):
    url: NonEmpty
    detail: Literal["auto", "low", "high"] | None = None


class ImageURLContentParam(Params):
    type: Literal["image_url"] = "image_url"
    image_url: ImageURLParam


MessageContentParam = Annotated[
    TextContentParam | ImageFileContentParam | ImageURLContentParam,
    Field(discriminator="type"),
]


class AttachmentToolParam(Params):
    type: Literal["code_interpreter", "file_search"]


class AttachmentParam(Params):
    file_id: NonEmpty
    tools: list[AttachmentToolParam] = Field(default_factory=list)


class MessageCreateParams(Params):
    """A new message: the body of POST /threads/{id}/messages, and an item of `messages` /
    `additional_messages`."""

    role: Literal["user", "assistant"]
    content: NonEmpty | Annotated[list[MessageContentParam], Field(min_length=1)]
    attachments: list[AttachmentParam] | None = None
    metadata: Metadata | None = None


class MessageUpdateParams(Params):
    metadata: Metadata | None = None


class ThreadCreateParams(Params):
    messages: list[MessageCreateParams] | None = None
    tool_resources: ToolResourcesParam | None = None
    metadata: Metadata | None = None


class ThreadUpdateParams(Params):
    tool_resources: ToolResourcesParam | None = None
    metadata: Metadata | None = None


class _RunOverrides(Params):
    """What a run may override on its assistant (shared by create run / create thread and run)."""

    model: NonEmpty | None = None
    instructions: Instructions | None = None
    tools: Annotated[list[ToolParam], Field(max_length=RUN_TOOLS_MAX)] | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    stream: bool | None = None
    max_prompt_tokens: TokenLimit | None = None
    max_completion_tokens: TokenLimit | None = None
    truncation_strategy: TruncationStrategyParam | None = None
    tool_choice: ToolChoiceParam | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormatParam | None = None

    _check_tools = field_validator("tools")(_unique_function_names)


class RunCreateParams(_RunOverrides):
    assistant_id: NonEmpty
    reasoning_effort: ReasoningEffort | None = None
    additional_instructions: Instructions | None = None
    additional_messages: list[MessageCreateParams] | None = None


class ThreadCreateAndRunParams(_RunOverrides):
    assistant_id: NonEmpty
    thread: ThreadCreateParams | None = None
    tool_resources: ToolResourcesParam | None = None


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


class ListParams(Params):
    limit: Annotated[int, Field(ge=1, le=100)] | None = None
    order: Literal["asc", "desc"] | None = None
    after: str | None = None
    before: str | None = None


class MessageListParams(ListParams):
    run_id: str | None = None


class FileListParams(Params):
    purpose: str | None = None
    limit: Annotated[int, Field(ge=1, le=10_000)] | None = None
    order: Literal["asc", "desc"] | None = None
    after: str | None = None


class VectorStoreFileListParams(ListParams):
    filter: Literal["in_progress", "completed", "failed", "cancelled"] | None = None


FilePurpose = Literal["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]


class FileExpiresAfterParam(Params):
    anchor: Literal["created_at"] = "created_at"
    seconds: Annotated[int, Field(ge=3600, le=2_592_000)]


class FileCreateParams(Params):
    purpose: FilePurpose
    expires_after: FileExpiresAfterParam | None = None


class StaticChunkingParam(Params):
    max_chunk_size_tokens: Annotated[int, Field(ge=100, le=4096)]
    chunk_overlap_tokens: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _overlap_at_most_half(self) -> StaticChunkingParam:
        if self.chunk_overlap_tokens > self.max_chunk_size_tokens // 2:
            raise ValueError("chunk_overlap_tokens must not exceed half of max_chunk_size_tokens")
        return self


class AutoChunkingStrategyParam(Params):
    type: Literal["auto"] = "auto"


class StaticChunkingStrategyParam(Params):
    type: Literal["static"] = "static"
    static: StaticChunkingParam


ChunkingStrategyParam = Annotated[
    AutoChunkingStrategyParam | StaticChunkingStrategyParam, Field(discriminator="type")
]


class VectorStoreExpiresAfterParam(Params):
    anchor: Literal["last_active_at"] = "last_active_at"
    days: Annotated[int, Field(ge=1, le=365)]


AttributeValue = Annotated[str, StringConstraints(max_length=512)] | float | bool
Attributes = Annotated[dict[MetadataKey, AttributeValue], Field(max_length=16)]


class VectorStoreCreateParams(Params):
    file_ids: Annotated[list[str], Field(max_length=500)] | None = None
    name: str | None = None
    description: str | None = None
    expires_after: VectorStoreExpiresAfterParam | None = None
    chunking_strategy: ChunkingStrategyParam | None = None
    metadata: Metadata | None = None


class VectorStoreUpdateParams(Params):
    name: str | None = None
    expires_after: VectorStoreExpiresAfterParam | None = None
    metadata: Metadata | None = None


class VectorStoreFileCreateParams(Params):
    file_id: NonEmpty
    chunking_strategy: ChunkingStrategyParam | None = None
    attributes: Attributes | None = None


class VectorStoreFileUpdateParams(Params):
    attributes: Attributes | None


class FileBatchCreateParams(Params):
    file_ids: Annotated[list[str], Field(min_length=1, max_length=2000)] | None = None
    files: Annotated[list[VectorStoreFileCreateParams], Field(min_length=1, max_length=2000)] | (
        None
    ) = None
    chunking_strategy: ChunkingStrategyParam | None = None
    attributes: Attributes | None = None

    @model_validator(mode="after")
    def _ids_or_files(self) -> FileBatchCreateParams:
        if (self.file_ids is None) == (self.files is None):
            raise ValueError("Give either file_ids or files (exactly one of them)")
        return self


class ComparisonFilterParam(Params):
    type: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]
    key: NonEmpty
    value: str | float | bool | list[str | float]


class CompoundFilterParam(Params):
    type: Literal["and", "or"]
    filters: list[ComparisonFilterParam | CompoundFilterParam]


class SearchRankingOptionsParam(Params):
    ranker: Literal["none", "auto", "default-2024-11-15"] | None = None
    score_threshold: Annotated[float, Field(ge=0, le=1)] | None = None


class VectorStoreSearchParams(Params):
    query: NonEmpty | Annotated[list[NonEmpty], Field(min_length=1)]
    rewrite_query: bool | None = None
    max_num_results: Annotated[int, Field(ge=1, le=50)] | None = None
    filters: ComparisonFilterParam | CompoundFilterParam | None = None
    ranking_options: SearchRankingOptionsParam | None = None
