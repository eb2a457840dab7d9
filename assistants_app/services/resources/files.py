from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, Literal, Unpack

import httpx

from .._base import NOT_GIVEN, APIRequest, NotGiven, RequestOptions, path_id
from ..pagination import CursorPage
from ..types import FileCreateParams, FileDeleted, FileListParams, FileObject, FilePurpose
from ._resource import Kind, Objects, checked

# What `files.create(file=…)` accepts: bytes, a binary file object, a path, or the httpx-style
# tuple (filename, content[, content_type]).
FileContent = bytes | IO[bytes] | os.PathLike[str] | tuple[Any, ...]


def _file_part(file: FileContent) -> Any:
    if isinstance(file, os.PathLike):
        path = Path(file)
        return (path.name, path.read_bytes())
    if isinstance(file, bytes):
        return ("upload", file)
    return file


class FileListQuery(RequestOptions, total=False):
    """The files list's query (checked by `FileListParams`) and the per-call options."""

    purpose: str | NotGiven
    limit: int | NotGiven
    order: Literal["asc", "desc"] | NotGiven
    after: str | NotGiven


class Files(Objects[FileObject, FileDeleted]):
    """`/files` (no OpenAI-Beta header, as the SDK does)."""

    kind = Kind("files", "file_id", FileObject, FileDeleted, beta=False)

    def create(
        self,
        *,
        file: FileContent,
        purpose: FilePurpose,
        expires_after: dict[str, Any] | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> FileObject:
        fields = checked(FileCreateParams, {"purpose": purpose, "expires_after": expires_after})
        # Multipart form fields, nested the way the API reads them: expires_after[seconds]=…
        data = {"purpose": fields["purpose"]}
        for key, value in (fields.get("expires_after") or {}).items():
            data[f"expires_after[{key}]"] = str(value)
        return self._call(
            "POST",
            "files",
            FileObject,
            safe=False,
            files={"file": _file_part(file)},
            data=data,
            beta=False,
            options=options,
        )

    def list(self, **query: Unpack[FileListQuery]) -> CursorPage[FileObject]:
        return self._list("files", FileObject, query, FileListParams, beta=False)

    def content(self, file_id: str, **options: Unpack[RequestOptions]) -> bytes:
        """The file's bytes, as uploaded (or as a tool produced them)."""
        response = self.content_stream(file_id, **options)
        try:
            return response.read()
        finally:
            response.close()

    def content_stream(self, file_id: str, **options: Unpack[RequestOptions]) -> httpx.Response:
        """The file's bytes as an open streamed response, for passing large files through
        without holding them in memory: iterate `.iter_bytes()`, then `.close()` it.
        Errors are raised before any byte is read."""
        path = f"files/{path_id(file_id, 'file_id')}/content"
        return self._client.send(
            APIRequest("GET", path, safe=True, beta=False, options=options, stream=True)
        )
