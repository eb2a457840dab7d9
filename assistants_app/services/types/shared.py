"""Pieces every resource uses: the lenient base model, the params base with the API's limits,
the head of stored objects, the tagged unions and stream deltas, deleted objects, errors, usage,
list queries and models."""

from __future__ import annotations

import functools
import operator
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
    create_model,
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


class Unknown(APIModel):
    """A union member of a `type` this client does not know yet; its other fields are kept."""

    type: str


class DeltaPart(APIModel):
    """A part of a stream delta; `index` says which part of the object so far it extends."""

    index: int = 0
    type: str


@functools.cache
def delta_of(model: type[APIModel], base: type[APIModel] = APIModel) -> type[APIModel]:
    """The stream delta of `model`: its fields, any of which may be absent (None), a nested
    object becoming that object's delta; a part's `type` stays as it is, since it names the part."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        kind = info.annotation
        if name == "type":
            fields[name] = (kind, info.default)
            continue
        if isinstance(kind, type) and issubclass(kind, APIModel):
            kind = delta_of(kind)
        fields[name] = (kind | None, None)
    return create_model(
        f"{model.__name__}Delta", __base__=base, __module__=model.__module__, **fields
    )


def one_of(*models: type[APIModel], unknown: type[APIModel] = Unknown) -> Any:
    """A union whose members are told apart by their `type` (each model's default); a value of
    a type we do not know yet parses into `unknown` instead of failing."""
    tags = {model.model_fields["type"].default: model for model in models}
    members = [Annotated[model, Tag(tag)] for tag, model in tags.items()]
    members.append(Annotated[unknown, Tag(UNKNOWN)])
    return Annotated[functools.reduce(operator.or_, members), Discriminator(_type_tag(set(tags)))]


def tagged(*models: type[BaseModel]) -> Any:
    """A union of request parts told apart by their `type`; a type not listed is refused."""
    return Annotated[functools.reduce(operator.or_, models), Field(discriminator="type")]


class Resource(APIModel):
    """The head of every stored object; each kind names itself in `object`."""

    id: str
    object: str = ""
    created_at: int = 0


class Usage(APIModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class DeletedObject(APIModel):
    id: str
    object: str = ""
    deleted: bool = False


class ErrorObject(APIModel):
    """The API's error envelope body: `{"error": {message, type, param, code}}`."""

    message: str = ""
    type: str | None = None
    param: str | None = None
    code: str | int | None = None


class LastError(APIModel):
    code: str | None = None
    message: str = ""


class Model(APIModel):
    id: str
    object: str = "model"
    created: int | None = None
    owned_by: str | None = None


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


class ListParams(Params):
    limit: Annotated[int, Field(ge=1, le=100)] | None = None
    order: Literal["asc", "desc"] | None = None
    after: str | None = None
    before: str | None = None
