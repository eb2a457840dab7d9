"""Files (`/files`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .shared import APIModel, DeletedObject, Params


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


class FileListParams(Params):
    purpose: str | None = None
    limit: Annotated[int, Field(ge=1, le=10_000)] | None = None
    order: Literal["asc", "desc"] | None = None
    after: str | None = None


FilePurpose = Literal["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]


class FileExpiresAfterParam(Params):
    anchor: Literal["created_at"] = "created_at"
    seconds: Annotated[int, Field(ge=3600, le=2_592_000)]


class FileCreateParams(Params):
    purpose: FilePurpose
    expires_after: FileExpiresAfterParam | None = None


FileDeleted = DeletedObject
