"""Vector stores, their files and file batches, chunking and search."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from .shared import (
    APIModel,
    DeletedObject,
    Description,
    LastError,
    ListParams,
    Metadata,
    MetadataKey,
    Name,
    NonEmpty,
    Params,
    Resource,
    tagged,
)


class FileCounts(APIModel):
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0


class VectorStoreExpiresAfter(APIModel):
    anchor: str = "last_active_at"
    days: int = 1


class VectorStore(Resource):
    object: str = "vector_store"
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


VectorStoreFileError = LastError


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


class VectorStoreFileBatch(Resource):
    object: str = "vector_store.file_batch"
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


class VectorStoreFileListParams(ListParams):
    filter: Literal["in_progress", "completed", "failed", "cancelled"] | None = None


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


ChunkingStrategyParam = tagged(AutoChunkingStrategyParam, StaticChunkingStrategyParam)


class VectorStoreExpiresAfterParam(Params):
    anchor: Literal["last_active_at"] = "last_active_at"
    days: Annotated[int, Field(ge=1, le=365)]


AttributeValue = Annotated[str, StringConstraints(max_length=512)] | float | bool


Attributes = Annotated[dict[MetadataKey, AttributeValue], Field(max_length=16)]


class VectorStoreUpdateParams(Params):
    name: Name | None = None
    expires_after: VectorStoreExpiresAfterParam | None = None
    metadata: Metadata | None = None


class VectorStoreCreateParams(VectorStoreUpdateParams):
    """What an update takes, and the store's first files, description and chunking."""

    file_ids: Annotated[list[str], Field(max_length=500)] | None = None
    description: Description | None = None
    chunking_strategy: ChunkingStrategyParam | None = None


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


VectorStoreDeleted = VectorStoreFileDeleted = DeletedObject
