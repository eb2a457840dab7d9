"""Tools, tool resources, response formats, tool choice and truncation: what assistants and runs
both carry (as objects) and both send (as params)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .shared import (
    CODE_INTERPRETER_FILES_MAX,
    FUNCTION_NAME_PATTERN,
    VECTOR_STORE_IDS_MAX,
    APIModel,
    Instructions,
    Metadata,
    NonEmpty,
    Params,
    Temperature,
    TopP,
    Unknown,
    one_of,
    tagged,
)


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


UnknownTool = Unknown


Tool = one_of(CodeInterpreterTool, FileSearchTool, FunctionTool)


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


class FunctionDefinitionParam(Params):
    name: Annotated[str, StringConstraints(pattern=FUNCTION_NAME_PATTERN)]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionToolParam(Params):
    type: Literal["function"] = "function"
    function: FunctionDefinitionParam


class FileSearchRankingOptionsParam(Params):
    ranker: Literal["auto", "default_2024_08_21"] | None = None
    score_threshold: Annotated[float, Field(ge=0, le=1)]


class FileSearchSettingsParam(Params):
    max_num_results: Annotated[int, Field(ge=1, le=50)] | None = None
    ranking_options: FileSearchRankingOptionsParam | None = None


class FileSearchToolParam(Params):
    type: Literal["file_search"] = "file_search"
    file_search: FileSearchSettingsParam | None = None


# A tool or format that is only its `type` is the same object in a request and in an answer.
CodeInterpreterToolParam = CodeInterpreterTool
ResponseFormatTextParam = ResponseFormatText
ResponseFormatJSONObjectParam = ResponseFormatJSONObject


ToolParam = tagged(CodeInterpreterToolParam, FileSearchToolParam, FunctionToolParam)


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


class ResponseFormatJSONSchemaParam(Params):
    type: Literal["json_schema"] = "json_schema"
    json_schema: JSONSchemaFormatParam


ResponseFormatParam = Literal["auto"] | tagged(
    ResponseFormatTextParam, ResponseFormatJSONObjectParam, ResponseFormatJSONSchemaParam
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


class ModelSettingsParams(Params):
    """What an assistant sets and a run may override: the model and how it is called. Each sets
    its own bound on `tools` (an assistant keeps more tools than a run may bring); a field a
    subclass bounds again keeps its place in the body."""

    model: NonEmpty | None = None
    instructions: Instructions | None = None
    tools: list[ToolParam] | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    response_format: ResponseFormatParam | None = None

    _check_tools = field_validator("tools")(_unique_function_names)
