"""Request bodies of /v1, validated with pydantic and the limits of the reference
(../shared/reference/README.md). A failure becomes a 400 naming the parameter (engine.api).

v1-era names cost little to accept: a `retrieval` tool is read as `file_search`, and an
assistant's `file_ids` as its code interpreter files.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

import jsonschema
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
MAX_TEXT = 256_000
MAX_MESSAGES = 32  # messages one request may add: a thread's, or a run's additional_messages
# Model names as providers spell them: "gpt-4o", "ft:gpt-4o-mini:org::id", "llama3.1:8b",
# "meta-llama/Llama-3.1-8B-Instruct". A name may end up in a URL (Azure deployments), so
# nothing that could steer a path or a query: no "..", "//", "?", "#", "%", spaces.
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+/-]{0,255}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def one_of(*models: type[Strict]) -> Any:
    """A union of parts told apart by their `type`; a type not listed is refused."""
    return Annotated[functools.reduce(operator.or_, models), Field(discriminator="type")]


def pairs_check(at_most: str) -> Callable[[dict[str, Any] | None], dict[str, Any] | None]:
    """The reference's limits on metadata and attributes: at most 16 pairs, keys up to 64
    characters, string values up to 512; `at_most` says the first in the error."""

    def check(value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if len(value) > 16:
            raise ValueError(f"expected {at_most}, but got {len(value)}")
        for key, item in value.items():
            if len(key) > 64:
                raise ValueError(f"key '{key[:20]}…' is longer than 64 characters")
            if isinstance(item, str) and len(item) > 512:
                raise ValueError(f"the value of '{key}' is longer than 512 characters")
        return value

    return check


Metadata = Annotated[
    dict[str, str] | None, AfterValidator(pairs_check("an object with at most 16 properties"))
]


def _check_schema(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None:
        try:
            jsonschema.validators.validator_for(value).check_schema(value)
        except jsonschema.SchemaError as error:
            where = "/".join(str(p) for p in error.absolute_path) or "the top level"
            raise ValueError(f"not a valid JSON Schema at {where}: {error.message}") from None
        except RecursionError:
            raise ValueError("the JSON Schema is nested too deeply") from None
    return value


def _check_model(value: str) -> str:
    if not _MODEL_NAME.fullmatch(value) or ".." in value or "//" in value:
        shown = value if len(value) <= 80 else value[:80] + "…"
        raise ValueError(
            "expected a model name of letters, digits and . _ - : / @ + (such as 'gpt-4o' or "
            f"'llama3.1:8b'), but got '{shown}' instead"
        )
    return value


ModelName = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_check_model)]


class FunctionDefinition(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    description: Annotated[str, Field(max_length=1024)] | None = None
    parameters: Annotated[dict[str, Any] | None, AfterValidator(_check_schema)] = None
    strict: bool | None = None


class FunctionTool(Strict):
    type: Literal["function"]
    function: FunctionDefinition


class CodeInterpreterTool(Strict):
    type: Literal["code_interpreter"]


class RankingOptions(Strict):
    ranker: Literal["auto", "default_2024_08_21"] | None = None
    score_threshold: Annotated[float, Field(ge=0, le=1)]


class FileSearchOptions(Strict):
    max_num_results: Annotated[int, Field(ge=1, le=50)] | None = None
    ranking_options: RankingOptions | None = None


class FileSearchTool(Strict):
    type: Literal["file_search"]
    file_search: FileSearchOptions | None = None


def _v1_tool_names(value: Any) -> Any:
    if isinstance(value, dict) and value.get("type") == "retrieval":
        return {**value, "type": "file_search"}
    return value


Tool = Annotated[
    one_of(FunctionTool, CodeInterpreterTool, FileSearchTool), BeforeValidator(_v1_tool_names)
]


def _unique_function_names(tools: list[Any] | None) -> list[Any] | None:
    names = [t.function.name for t in tools or [] if isinstance(t, FunctionTool)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"function names must be unique; '{duplicates[0]}' is repeated")
    return tools


AssistantTools = Annotated[
    list[Tool], Field(max_length=128), AfterValidator(_unique_function_names)
]
RunTools = Annotated[list[Tool], Field(max_length=20), AfterValidator(_unique_function_names)]


class CodeInterpreterResources(Strict):
    file_ids: Annotated[list[str], Field(max_length=20)] = []


class FileSearchResources(Strict):
    vector_store_ids: Annotated[list[str], Field(max_length=1)] = []


class StaticSizes(Strict):
    max_chunk_size_tokens: Annotated[int, Field(ge=100, le=4096)]
    chunk_overlap_tokens: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _overlap_at_most_half(self) -> StaticSizes:
        if self.chunk_overlap_tokens > self.max_chunk_size_tokens // 2:
            raise ValueError(
                "chunk_overlap_tokens must not exceed half of max_chunk_size_tokens "
                f"({self.max_chunk_size_tokens // 2})"
            )
        return self


class AutoChunking(Strict):
    type: Literal["auto"]


class StaticChunking(Strict):
    type: Literal["static"]
    static: StaticSizes


Chunking = one_of(AutoChunking, StaticChunking)


class NewVectorStore(Strict):
    file_ids: list[str] = []
    chunking_strategy: Chunking | None = None
    metadata: Metadata = None


class ThreadFileSearchResources(FileSearchResources):
    vector_stores: Annotated[list[NewVectorStore], Field(max_length=1)] | None = None


class ToolResources(Strict):
    code_interpreter: CodeInterpreterResources | None = None
    file_search: FileSearchResources | None = None


class ThreadToolResources(ToolResources):
    file_search: ThreadFileSearchResources | None = None


class TextFormat(Strict):
    type: Literal["text"]


class JsonObjectFormat(Strict):
    type: Literal["json_object"]


class JsonSchemaSpec(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    description: str | None = None
    schema_: Annotated[
        dict[str, Any] | None, Field(alias="schema"), AfterValidator(_check_schema)
    ] = None
    strict: bool | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class JsonSchemaFormat(Strict):
    type: Literal["json_schema"]
    json_schema: JsonSchemaSpec


ResponseFormat = Literal["auto"] | one_of(TextFormat, JsonObjectFormat, JsonSchemaFormat)


class NamedFunction(Strict):
    name: str


class NamedToolChoice(Strict):
    type: Literal["function", "code_interpreter", "file_search"]
    function: NamedFunction | None = None

    @model_validator(mode="after")
    def _function_named(self) -> NamedToolChoice:
        if self.type == "function" and self.function is None:
            raise ValueError("a function tool choice must name the function")
        return self


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


class Truncation(Strict):
    type: Literal["auto", "last_messages"]
    last_messages: Annotated[int, Field(ge=1)] | None = None


ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None
Temperature = Annotated[float, Field(ge=0, le=2)] | None
TopP = Annotated[float, Field(ge=0, le=1)] | None
TokenLimit = Annotated[int, Field(ge=256)] | None


# -- messages ---------------------------------------------------------------------------------


class TextPart(Strict):
    type: Literal["text"]
    text: Annotated[str, Field(max_length=MAX_TEXT)]


class ImageFile(Strict):
    file_id: str
    detail: Literal["auto", "low", "high"] | None = None


class ImageFilePart(Strict):
    type: Literal["image_file"]
    image_file: ImageFile


class ImageUrl(Strict):
    url: Annotated[str, Field(pattern=r"^(https?://|data:image/)")]
    detail: Literal["auto", "low", "high"] | None = None


class ImageUrlPart(Strict):
    type: Literal["image_url"]
    image_url: ImageUrl


ContentPart = one_of(TextPart, ImageFilePart, ImageUrlPart)


class AttachmentTool(Strict):
    type: Literal["code_interpreter", "file_search"]


class Attachment(Strict):
    file_id: str
    tools: list[AttachmentTool] = []


class CreateMessage(Strict):
    role: Literal["user", "assistant"]
    content: (
        Annotated[str, Field(max_length=MAX_TEXT)]
        | Annotated[list[ContentPart], Field(min_length=1)]
    )
    attachments: list[Attachment] | None = None
    metadata: Metadata = None

    def content_parts(self) -> list[dict[str, Any]]:
        """Content as the API returns it: text parts gain their annotations list."""
        if isinstance(self.content, str):
            return [{"type": "text", "text": {"value": self.content, "annotations": []}}]
        parts = []
        for part in self.content:
            if isinstance(part, TextPart):
                parts.append({"type": "text", "text": {"value": part.text, "annotations": []}})
            else:
                parts.append(part.model_dump(exclude_none=True))
        return parts

    def message_fields(self) -> dict[str, Any]:
        """The keyword arguments of Thread.add_message for this request."""
        return {
            "role": self.role,
            "content": self.content_parts(),
            "attachments": [dump(a) for a in self.attachments or []],
            "metadata": self.metadata,
        }


class ModifyMetadata(Strict):
    metadata: Metadata = None


# -- assistants ---------------------------------------------------------------------------------


class AssistantFields(Strict):
    name: Annotated[str, Field(max_length=256)] | None = None
    description: Annotated[str, Field(max_length=512)] | None = None
    instructions: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    reasoning_effort: ReasoningEffort = None
    tools: AssistantTools = []
    tool_resources: ToolResources | None = None
    metadata: Metadata = None
    temperature: Temperature = None
    top_p: TopP = None
    response_format: ResponseFormat | None = None
    # v1: files attached to the assistant; read as code interpreter files.
    file_ids: Annotated[list[str], Field(max_length=20)] | None = None

    def values(self) -> dict[str, Any]:
        """The fields the request set, as stored on the Assistant."""
        given = self.model_dump(mode="json", exclude_unset=True, by_alias=True)
        file_ids = given.pop("file_ids", None)
        if file_ids is not None:
            resources = given.get("tool_resources") or {}
            resources["code_interpreter"] = {"file_ids": file_ids}
            given["tool_resources"] = resources
        if given.get("tool_resources") is not None:
            given["tool_resources"] = _prune(given["tool_resources"])
        if "tools" in given:
            given["tools"] = [_prune(tool) for tool in given["tools"]]
        if "model" in given and given["model"] is None:
            del given["model"]  # a model is required; null leaves it as it is
        if given.get("metadata") is None and "metadata" in given:
            given["metadata"] = {}
        if "response_format" in given:
            given["response_format"] = _prune(given["response_format"])
        return given


class CreateAssistant(AssistantFields):
    model: ModelName
    # Only on creation may file_search name new stores to make (`vector_stores`).
    tool_resources: ThreadToolResources | None = None


class ModifyAssistant(AssistantFields):
    model: ModelName | None = None


def _prune(value: Any) -> Any:
    """Drop keys the client did not set (None), keeping the API's shapes compact."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


# -- threads and runs ---------------------------------------------------------------------------


class CreateThread(Strict):
    messages: Annotated[list[CreateMessage], Field(max_length=MAX_MESSAGES)] = []
    tool_resources: ThreadToolResources | None = None
    metadata: Metadata = None


class ModifyThread(Strict):
    tool_resources: ToolResources | None = None
    metadata: Metadata = None


class RunOptions(Strict):
    assistant_id: Annotated[str, Field(min_length=1)]
    model: ModelName | None = None
    instructions: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    tools: RunTools | None = None
    metadata: Metadata = None
    temperature: Temperature = None
    top_p: TopP = None
    stream: bool | None = None
    max_prompt_tokens: TokenLimit = None
    max_completion_tokens: TokenLimit = None
    truncation_strategy: Truncation | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: ReasoningEffort = None


class CreateRun(RunOptions):
    additional_instructions: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    additional_messages: Annotated[list[CreateMessage], Field(max_length=MAX_MESSAGES)] | None = (
        None
    )


class CreateThreadAndRun(RunOptions):
    thread: CreateThread | None = None
    tool_resources: ToolResources | None = None


class ToolOutput(Strict):
    tool_call_id: Annotated[str, Field(min_length=1)]
    output: Annotated[str, Field(max_length=MAX_TEXT)]


class SubmitToolOutputs(Strict):
    tool_outputs: list[ToolOutput]
    stream: bool | None = None


def dump(value: Any) -> Any:
    """A validated sub-model as JSON-ready data, without unset (None) keys."""
    if isinstance(value, BaseModel):
        return _prune(value.model_dump(mode="json", by_alias=True))
    return value
