"""Vector stores, their files and file batches, and search (`client.vector_stores.*`)."""

from __future__ import annotations

from typing import Any, Literal, Unpack

from .._base import NOT_GIVEN, NotGiven, RequestOptions, path_id
from ..pagination import CursorPage
from ..types import (
    FileBatchCreateParams,
    VectorStore,
    VectorStoreCreateParams,
    VectorStoreDeleted,
    VectorStoreFile,
    VectorStoreFileBatch,
    VectorStoreFileContent,
    VectorStoreFileCreateParams,
    VectorStoreFileDeleted,
    VectorStoreFileListParams,
    VectorStoreFileUpdateParams,
    VectorStoreSearchParams,
    VectorStoreSearchResultsPage,
    VectorStoreUpdateParams,
)
from ._resource import Kind, ListQuery, Objects, Resource, checked, subresource


def _store(vector_store_id: str) -> str:
    return f"vector_stores/{path_id(vector_store_id, 'vector_store_id')}"


def _file(vector_store_id: str, file_id: str) -> str:
    return f"{_store(vector_store_id)}/files/{path_id(file_id, 'file_id')}"


def _batch(vector_store_id: str, batch_id: str) -> str:
    return f"{_store(vector_store_id)}/file_batches/{path_id(batch_id, 'batch_id')}"


class StoreFileListQuery(ListQuery, total=False):
    filter: Literal["in_progress", "completed", "failed", "cancelled"] | NotGiven


class VectorStoreFiles(Resource):
    def create(
        self,
        vector_store_id: str,
        *,
        file_id: str,
        chunking_strategy: dict[str, Any] | NotGiven = NOT_GIVEN,
        attributes: dict[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> VectorStoreFile:
        body = checked(
            VectorStoreFileCreateParams,
            {"file_id": file_id, "chunking_strategy": chunking_strategy, "attributes": attributes},
        )
        # Attaching the same file twice is harmless (one file per id): safe to retry.
        path = f"{_store(vector_store_id)}/files"
        return self._call("POST", path, VectorStoreFile, safe=True, body=body, options=options)

    def retrieve(
        self, file_id: str, *, vector_store_id: str, **options: Unpack[RequestOptions]
    ) -> VectorStoreFile:
        path = _file(vector_store_id, file_id)
        return self._call("GET", path, VectorStoreFile, safe=True, options=options)

    def update(
        self,
        file_id: str,
        *,
        vector_store_id: str,
        attributes: dict[str, Any] | None,
        **options: Unpack[RequestOptions],
    ) -> VectorStoreFile:
        path = _file(vector_store_id, file_id)
        body = checked(VectorStoreFileUpdateParams, {"attributes": attributes})
        return self._call("POST", path, VectorStoreFile, safe=True, body=body, options=options)

    def list(
        self, vector_store_id: str, **query: Unpack[StoreFileListQuery]
    ) -> CursorPage[VectorStoreFile]:
        path = f"{_store(vector_store_id)}/files"
        return self._list(path, VectorStoreFile, query, VectorStoreFileListParams)

    def delete(
        self, file_id: str, *, vector_store_id: str, **options: Unpack[RequestOptions]
    ) -> VectorStoreFileDeleted:
        path = _file(vector_store_id, file_id)
        return self._call("DELETE", path, VectorStoreFileDeleted, safe=True, options=options)

    def content(
        self, file_id: str, *, vector_store_id: str, **options: Unpack[RequestOptions]
    ) -> VectorStoreFileContent:
        path = f"{_file(vector_store_id, file_id)}/content"
        return self._call("GET", path, VectorStoreFileContent, safe=True, options=options)


class FileBatches(Resource):
    def create(
        self,
        vector_store_id: str,
        *,
        file_ids: list[str] | NotGiven = NOT_GIVEN,
        files: list[dict[str, Any]] | NotGiven = NOT_GIVEN,
        chunking_strategy: dict[str, Any] | NotGiven = NOT_GIVEN,
        attributes: dict[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> VectorStoreFileBatch:
        body = checked(
            FileBatchCreateParams,
            {
                "file_ids": file_ids,
                "files": files,
                "chunking_strategy": chunking_strategy,
                "attributes": attributes,
            },
        )
        path = f"{_store(vector_store_id)}/file_batches"
        return self._call(
            "POST", path, VectorStoreFileBatch, safe=False, body=body, options=options
        )

    def retrieve(
        self, batch_id: str, *, vector_store_id: str, **options: Unpack[RequestOptions]
    ) -> VectorStoreFileBatch:
        path = _batch(vector_store_id, batch_id)
        return self._call("GET", path, VectorStoreFileBatch, safe=True, options=options)

    def cancel(
        self, batch_id: str, *, vector_store_id: str, **options: Unpack[RequestOptions]
    ) -> VectorStoreFileBatch:
        path = f"{_batch(vector_store_id, batch_id)}/cancel"
        return self._call("POST", path, VectorStoreFileBatch, safe=False, options=options)

    def list_files(
        self, batch_id: str, *, vector_store_id: str, **query: Unpack[StoreFileListQuery]
    ) -> CursorPage[VectorStoreFile]:
        path = f"{_batch(vector_store_id, batch_id)}/files"
        return self._list(path, VectorStoreFile, query, VectorStoreFileListParams)


class VectorStores(Objects[VectorStore, VectorStoreDeleted]):
    kind = Kind("vector_stores", "vector_store_id", VectorStore, VectorStoreDeleted)
    files = subresource(VectorStoreFiles)
    file_batches = subresource(FileBatches)

    def create(
        self,
        *,
        file_ids: list[str] | NotGiven = NOT_GIVEN,
        name: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven = NOT_GIVEN,
        expires_after: dict[str, Any] | NotGiven = NOT_GIVEN,
        chunking_strategy: dict[str, Any] | NotGiven = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> VectorStore:
        body = checked(
            VectorStoreCreateParams,
            {
                "file_ids": file_ids,
                "name": name,
                "description": description,
                "expires_after": expires_after,
                "chunking_strategy": chunking_strategy,
                "metadata": metadata,
            },
        )
        return self._call(
            "POST", "vector_stores", VectorStore, safe=False, body=body, options=options
        )

    def update(
        self,
        vector_store_id: str,
        *,
        name: str | NotGiven | None = NOT_GIVEN,
        expires_after: dict[str, Any] | NotGiven | None = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> VectorStore:
        body = checked(
            VectorStoreUpdateParams,
            {"name": name, "expires_after": expires_after, "metadata": metadata},
        )
        return self._call(
            "POST", _store(vector_store_id), VectorStore, safe=True, body=body, options=options
        )

    def list(self, **query: Unpack[ListQuery]) -> CursorPage[VectorStore]:
        return self._list("vector_stores", VectorStore, query)

    def search(
        self,
        vector_store_id: str,
        *,
        query: str | list[str],
        rewrite_query: bool | NotGiven = NOT_GIVEN,
        max_num_results: int | NotGiven = NOT_GIVEN,
        filters: dict[str, Any] | NotGiven = NOT_GIVEN,
        ranking_options: dict[str, Any] | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> VectorStoreSearchResultsPage:
        body = checked(
            VectorStoreSearchParams,
            {
                "query": query,
                "rewrite_query": rewrite_query,
                "max_num_results": max_num_results,
                "filters": filters,
                "ranking_options": ranking_options,
            },
        )
        # Searching changes nothing: safe to retry.
        path = f"{_store(vector_store_id)}/search"
        return self._call(
            "POST", path, VectorStoreSearchResultsPage, safe=True, body=body, options=options
        )
