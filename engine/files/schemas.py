"""Request bodies of /v1/vector_stores, with the reference's limits (a failure is a 400 naming
the parameter, through engine.api.body)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

# The chunking models live with the other request schemas: thread and assistant tool_resources
# take them too (`vector_stores` helpers).
from engine.schemas import AutoChunking, Chunking, Metadata, StaticChunking, Strict, pairs_check


def chunking_strategy(value: AutoChunking | StaticChunking | None) -> dict[str, Any] | None:
    """As a vector store file reports it: auto is static 800/400."""
    if isinstance(value, StaticChunking):
        return {"type": "static", "static": value.static.model_dump()}
    return None


Attributes = Annotated[
    dict[str, str | float | bool] | None, AfterValidator(pairs_check("at most 16 attributes"))
]
NonEmpty = Annotated[str, Field(min_length=1)]
FileId = NonEmpty


class ExpiresAfter(Strict):
    anchor: Literal["last_active_at"]
    days: Annotated[int, Field(ge=1, le=365)]


class CreateVectorStore(Strict):
    file_ids: Annotated[list[FileId], Field(max_length=500)] = []
    name: Annotated[str, Field(max_length=256)] | None = None
    description: Annotated[str, Field(max_length=512)] | None = None
    expires_after: ExpiresAfter | None = None
    chunking_strategy: Chunking | None = None
    metadata: Metadata = None


class ModifyVectorStore(Strict):
    name: Annotated[str, Field(max_length=256)] | None = None
    expires_after: ExpiresAfter | None = None
    metadata: Metadata = None


class CreateVectorStoreFile(Strict):
    file_id: Annotated[str, Field(min_length=1)]
    chunking_strategy: Chunking | None = None
    attributes: Attributes = None


class UpdateAttributes(Strict):
    attributes: Attributes


class CreateFileBatch(Strict):
    file_ids: Annotated[list[FileId], Field(min_length=1, max_length=2000)] | None = None
    files: Annotated[list[CreateVectorStoreFile], Field(min_length=1, max_length=2000)] | None = (
        None
    )
    chunking_strategy: Chunking | None = None
    attributes: Attributes = None

    @model_validator(mode="after")
    def _one_of(self) -> CreateFileBatch:
        if (self.file_ids is None) == (self.files is None):
            raise ValueError("give exactly one of file_ids and files")
        return self


class ComparisonFilter(Strict):
    type: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"] = "eq"
    key: NonEmpty
    value: str | float | bool | list[str | float]


class CompoundFilter(Strict):
    type: Literal["and", "or"]
    filters: list[Filter]


def _filter_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "compound" if kind in ("and", "or") else "comparison"


# Chosen by its type, so that an error names the field of the filter that was meant.
Filter = Annotated[
    Annotated[ComparisonFilter, Tag("comparison")] | Annotated[CompoundFilter, Tag("compound")],
    Discriminator(_filter_kind),
]


class SearchRanking(Strict):
    ranker: Literal["none", "auto", "default-2024-11-15"] | None = None
    score_threshold: Annotated[float, Field(ge=0, le=1)] = 0.0


class Search(Strict):
    query: NonEmpty | Annotated[list[NonEmpty], Field(min_length=1)]
    rewrite_query: bool = False
    max_num_results: Annotated[int, Field(ge=1, le=50)] = 10
    filters: Filter | None = None
    ranking_options: SearchRanking | None = None
