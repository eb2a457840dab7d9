"""/v1/files: upload (multipart), list, retrieve, delete, and the content."""

from __future__ import annotations

import mimetypes
import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone

from dashboard.serving import FileStream
from engine.api import ApiError, endpoint, ok, paginate

from .. import lookups
from ..models import File

MAX_LIST_LIMIT = 10_000  # the API's limit for files; pages still hold at most 100


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


class _SizeLimit(FileUploadHandler):
    """Stops reading an upload past the limit (the rest of the body is drained, not kept)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _too_large(limit: int) -> ApiError:
    return ApiError(
        400,
        f"The file is larger than this server accepts: uploads may be at most {_size(limit)} "
        f"({limit} bytes; an administrator sets ENGINE_FILE_MAX_BYTES).",
        param="file",
        code="file_too_large",
    )


def _expires_at(form: Any) -> Any:
    anchor = form.get("expires_after[anchor]")
    seconds = form.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise ApiError(
            400,
            "Invalid 'expires_after[anchor]': expected 'created_at'.",
            param="expires_after.anchor",
            code="invalid_value",
        )
    try:
        value = int(seconds or "")
    except ValueError:
        value = 0
    if not 3600 <= value <= 2_592_000:
        raise ApiError(
            400,
            "Invalid 'expires_after[seconds]': expected an integer from 3600 (1 hour) to "
            "2592000 (30 days).",
            param="expires_after.seconds",
            code="invalid_value",
        )
    return timezone.now() + timedelta(seconds=value)


def _upload(request: HttpRequest) -> HttpResponse:
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(
            400,
            "Uploads must be sent as multipart/form-data with a 'file' and a 'purpose'.",
            code="invalid_content_type",
        )
    limit = settings.ENGINE_FILE_MAX_BYTES
    guard = _SizeLimit(request, limit)
    request.upload_handlers.insert(0, guard)
    try:
        form, uploads = request.POST, request.FILES
    except MultiPartParserError as error:
        raise ApiError(400, f"The multipart body could not be read: {error}.") from None
    if guard.too_large:
        raise _too_large(limit)
    purpose = form.get("purpose")
    if not purpose:
        raise ApiError(
            400,
            "Missing required parameter: 'purpose'.",
            param="purpose",
            code="missing_required_parameter",
        )
    if purpose not in File.PURPOSES:
        raise ApiError(
            400,
            f"Invalid value for 'purpose': '{purpose[:40]}'. Expected one of "
            f"{', '.join(File.PURPOSES)}.",
            param="purpose",
            code="invalid_value",
        )
    upload = uploads.get("file")
    if upload is None:
        raise ApiError(
            400,
            "Missing required parameter: 'file'.",
            param="file",
            code="missing_required_parameter",
        )
    if upload.size > limit:
        raise _too_large(limit)
    filename = os.path.basename((upload.name or "upload").replace("\\", "/"))[:255] or "upload"
    created = File.store(
        filename=filename,
        purpose=purpose,
        upload=upload,
        expires_at=_expires_at(form),
        created_by_key=request.engine_key,
    )
    return ok(created.to_api())


def _list(request: HttpRequest) -> HttpResponse:
    listed = File.objects.live().visible_to_key(request.engine_key)
    if purpose := request.GET.get("purpose"):
        listed = listed.filter(purpose=purpose)
    params = request.GET.copy()
    raw = params.get("limit", str(MAX_LIST_LIMIT))
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ApiError(
            400,
            f"Invalid 'limit': expected an integer from 1 to {MAX_LIST_LIMIT}, got '{raw[:20]}'.",
            param="limit",
            code="integer_out_of_range",
        )
    # Pages hold at most 100 files; `has_more` tells the caller (and the SDK's auto-pager) to
    # ask for the next one with `after`.
    params["limit"] = str(min(limit, 100))
    request.GET = params
    return paginate(request, listed)


@endpoint("GET", "POST")
def files(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _list(request)
    return _upload(request)


@endpoint("GET", "DELETE")
def file(request: HttpRequest, file_id: str) -> HttpResponse:
    found = lookups.file(request.engine_key, file_id)
    if request.method == "DELETE":
        found.remove()
        return ok({"id": file_id, "object": "file", "deleted": True})
    return ok(found.to_api())


@endpoint("GET")
def content(request: HttpRequest, file_id: str) -> HttpResponse:
    found = lookups.file(request.engine_key, file_id)
    try:
        handle = found.content.open("rb")
    except FileNotFoundError:
        raise ApiError(
            404, f"The content of file '{file_id}' is missing from storage.", code="not_found"
        ) from None
    kind = mimetypes.guess_type(found.filename)[0] or "application/octet-stream"
    return FileStream(handle, as_attachment=True, filename=found.filename, content_type=kind)
