"""Files: the list (name, size, purpose, created, by whom), upload, download, delete.

Who may see, download and delete which file: see assistants_app/files.py. Downloads stream the
backend's /files/{id}/content through the client, never holding a whole file in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.serving import ChunkStream

from ..file_forms import FileUploadForm
from ..files import INLINE_IMAGE_TYPES, UPLOAD_PURPOSES, file_rows, may_delete, may_read, upload
from ..models import Connection, FileRecord, ThreadRecord
from ..services import NOT_GIVEN, AssistantsClient, AssistantsError, NotFoundError
from . import backend, in_words

CHUNK = 64 * 1024


@require_GET
def file_list(request: HttpRequest) -> HttpResponse:
    return render(request, "files/list.html", _list_context(request, FileUploadForm()))


@require_POST
def file_upload(request: HttpRequest) -> HttpResponse:
    form = FileUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "files/list.html", _list_context(request, form), status=422)
    connection = Connection.objects.default()
    client = backend(connection)
    done = []
    for uploaded in form.cleaned_data["files"]:
        try:
            upload(client, connection, request.user, uploaded, purpose=form.cleaned_data["purpose"])
        except AssistantsError as error:
            form.add_error("files", f"{uploaded.name} was not uploaded. {in_words(error)}")
            if done:
                messages.success(request, f"Uploaded {', '.join(done)}.")
            return render(request, "files/list.html", _list_context(request, form), status=422)
        done.append(uploaded.name)
    messages.success(request, f"Uploaded {', '.join(done)}.")
    return redirect("file_list")


@require_GET
def file_content(request: HttpRequest, file_id: str) -> HttpResponse:
    """Download a file of the team library, or of a chat one may open."""
    connection = Connection.objects.default()
    if not may_read(request.user, connection, file_id):
        raise Http404("No such file.")
    return stream_file(backend(connection), file_id)


@require_GET
def thread_file(request: HttpRequest, pk: int, file_id: str) -> HttpResponse:
    """Download a file a chat refers to: attachments, citations, code interpreter outputs."""
    thread = get_object_or_404(ThreadRecord.objects.visible_to(request.user), pk=pk)
    if not (
        thread.file_refs.filter(file_id=file_id).exists()
        or thread.files.filter(file_id=file_id).exists()
    ):
        raise Http404("This chat has no such file.")
    return stream_file(backend(thread.connection), file_id)


@require_http_methods(["GET", "POST"])
def file_delete(request: HttpRequest, file_id: str) -> HttpResponse:
    connection = Connection.objects.default()
    if not may_read(request.user, connection, file_id):
        raise Http404("No such file.")
    if not may_delete(request.user, connection, file_id):
        raise PermissionDenied(
            "Only the person who uploaded a file, or an administrator, may delete it."
        )
    client = backend(connection)
    try:
        found = client.files.retrieve(file_id)
    except NotFoundError as error:
        FileRecord.forget(connection=connection, file_id=file_id)
        raise Http404("That file is already gone.") from error
    except AssistantsError as error:
        messages.error(request, f"Could not find the file. {in_words(error)}")
        return redirect("file_list")
    record = FileRecord.objects.find(connection, file_id)
    return confirm_delete(
        request,
        "files/confirm_delete.html",
        {"nav": "files", "file": found, "record": record},
        delete=lambda: client.files.delete(file_id),
        forget=lambda: FileRecord.forget(connection=connection, file_id=file_id),
        done=f"Deleted {found.filename or file_id}.",
        then="file_list",
    )


def confirm_delete(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    delete: Callable[[], object],
    forget: Callable[[], object],
    done: str,
    then: str,
) -> HttpResponse:
    """The "Delete …?" page, and on POST: delete on the backend (already gone counts as
    deleted), forget the local record, and go back to `then`. A backend error shows the page
    again, saying why."""
    if request.method != "POST":
        return render(request, template, context)
    try:
        delete()
    except NotFoundError:
        pass  # gone already: forget it here too
    except AssistantsError as error:
        context["error"] = in_words(error)
        return render(request, template, context, status=422)
    forget()
    messages.success(request, done)
    return redirect(then)


def stream_file(client: AssistantsClient, file_id: str) -> HttpResponse:
    """The file's bytes from the backend, passed through in chunks. Raster images show
    inline; anything else downloads (a model's HTML or SVG never renders on our origin)."""
    try:
        found = client.files.retrieve(file_id)
        upstream = client.files.content_stream(file_id)
    except NotFoundError as error:
        raise Http404("That file is gone from the assistant service.") from error
    except AssistantsError as error:
        return HttpResponse(
            f"Could not fetch the file. {in_words(error)}", status=502, content_type="text/plain"
        )
    kind = upstream.headers.get("content-type", "").split(";")[0].strip().lower()
    inline = kind in INLINE_IMAGE_TYPES
    response = ChunkStream(
        _chunks(upstream), content_type=kind if inline else kind or "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(
        not inline, found.filename or file_id
    )
    if length := upstream.headers.get("content-length"):
        response["Content-Length"] = length
    # Files never change; permissions may, so only the person's own browser keeps a copy.
    response["Cache-Control"] = "private, max-age=300"
    return response


def _chunks(upstream):
    try:
        yield from upstream.iter_bytes(CHUNK)
    finally:
        upstream.close()


def _list_context(request: HttpRequest, form: FileUploadForm) -> dict[str, Any]:
    connection = Connection.objects.default()
    purpose, after = request.GET.get("purpose", ""), request.GET.get("after", "")
    context: dict[str, Any] = {
        "nav": "files",
        "form": form,
        "purpose": purpose,
        "after": after,
        "purposes": [*UPLOAD_PURPOSES, ("assistants_output", "Made by the code interpreter")],
        "rows": [],
    }
    try:
        page = backend(connection).files.list(
            limit=100,
            order="desc",
            after=after or NOT_GIVEN,
            purpose=purpose or NOT_GIVEN,
        )
    except AssistantsError as error:
        context["error"] = in_words(error)
        return context
    context["rows"] = file_rows(request.user, connection, page.data)
    context["next_cursor"] = page.last_id if page.has_more else None
    return context
