"""Vector stores: list, create, the store page (its files and their ingestion, polled while
files are in progress; add and remove files; a search box to try retrieval), delete.

Stores made through the dashboard are shared by the team; the creator and administrators may
delete one. Stores made elsewhere are shown to administrators only (assistants_app/files.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..file_forms import AddStoreFilesForm, SearchForm, StoreFilesForm, VectorStoreForm
from ..files import file_names, known_names, library_choices, upload
from ..models import Connection, FileRecord, VectorStoreRecord, deletable
from ..services import NOT_GIVEN, AssistantsClient, AssistantsError, NotFoundError
from ..services.types import VectorStore
from . import backend, fragment, in_words
from .files import confirm_delete

DETAIL = "vector_stores/detail.html"
STATUS_POLL_MS = 1000


def _backend_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A backend that does not answer becomes a page saying so, with a way to try again."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AssistantsError as error:
            context = {"nav": "vector_stores", "error": in_words(error), "retry": request.path}
            return render(request, "vector_stores/unavailable.html", context, status=502)

    return wrapped


@require_GET
def vector_store_list(request: HttpRequest) -> HttpResponse:
    connection = Connection.objects.default()
    after = request.GET.get("after", "")
    context: dict[str, Any] = {"nav": "vector_stores", "rows": [], "after": after}
    try:
        page = backend(connection).vector_stores.list(
            limit=100, order="desc", after=after or NOT_GIVEN
        )
    except AssistantsError as error:
        context["error"] = in_words(error)
        return render(request, "vector_stores/list.html", context)
    visible = VectorStoreRecord.objects.visible_ids(
        request.user, connection, [s.id for s in page.data]
    )
    records = {
        r.vector_store_id: r
        for r in VectorStoreRecord.objects.filter(
            connection=connection, vector_store_id__in=visible
        ).select_related("created_by")
    }
    context["rows"] = [
        {"store": s, "record": records.get(s.id)} for s in page.data if s.id in visible
    ]
    context["next_cursor"] = page.last_id if page.has_more else None
    return render(request, "vector_stores/list.html", context)


@require_http_methods(["GET", "POST"])
def vector_store_create(request: HttpRequest) -> HttpResponse:
    connection = Connection.objects.default()
    library = library_choices(connection)
    form = VectorStoreForm(request.POST or None, request.FILES or None, library=library)
    context: dict[str, Any] = {"nav": "vector_stores", "form": form}
    if request.method == "GET" or not form.is_valid():
        return render(
            request, "vector_stores/new.html", context, status=422 if form.errors else 200
        )
    client = backend(connection)
    try:
        file_ids = _gather_files(client, connection, request, form)
        store = client.vector_stores.create(
            name=form.cleaned_data["name"], file_ids=file_ids or NOT_GIVEN
        )
    except AssistantsError as error:
        form.add_error(None, f"The vector store was not created. {in_words(error)}")
        return render(request, "vector_stores/new.html", context, status=422)
    VectorStoreRecord.objects.create(
        connection=connection,
        vector_store_id=store.id,
        name=store.name or form.cleaned_data["name"],
        created_by=request.user,
    )
    messages.success(request, f"Created the vector store {store.name or store.id}.")
    return redirect("vector_store_detail", store.id)


@require_GET
@_backend_errors
def vector_store_detail(request: HttpRequest, store_id: str) -> HttpResponse:
    connection, client, store = _store_or_404(request, store_id)
    context = _detail_context(request, connection, client, store)
    search = SearchForm(request.GET if "q" in request.GET else None)
    context["search"] = search
    if search.is_bound and search.is_valid():
        try:
            found = client.vector_stores.search(
                store_id,
                query=search.cleaned_data["q"],
                max_num_results=search.cleaned_data["max_num_results"] or 10,
            )
            readable = FileRecord.objects.readable_ids(
                request.user, connection, [r.file_id for r in found.data]
            )
            context["results"] = [
                {"result": r, "readable": r.file_id in readable} for r in found.data
            ]
        except AssistantsError as error:
            context["search_error"] = in_words(error)
    return render(request, fragment(request, DETAIL, "search_results"), context)


@require_GET
@_backend_errors
def vector_store_status(request: HttpRequest, store_id: str) -> HttpResponse:
    """The ingestion progress, polled by the store page while files are in progress."""
    if not request.htmx:
        return redirect("vector_store_detail", store_id)
    connection, client, store = _store_or_404(request, store_id)
    context = _detail_context(request, connection, client, store, full=False)
    return render(request, f"{DETAIL}#ingestion", context)


@require_POST
@_backend_errors
def vector_store_add_files(request: HttpRequest, store_id: str) -> HttpResponse:
    connection, client, store = _store_or_404(request, store_id)
    form = AddStoreFilesForm(request.POST, request.FILES, library=library_choices(connection))
    if form.is_valid():
        try:
            file_ids = _gather_files(client, connection, request, form)
            if len(file_ids) == 1:
                client.vector_stores.files.create(store_id, file_id=file_ids[0])
            else:
                client.vector_stores.file_batches.create(store_id, file_ids=file_ids)
        except AssistantsError as error:
            form.add_error(None, f"The files were not added. {in_words(error)}")
        else:
            count = len(file_ids)
            messages.success(
                request, f"Added {count} file{'s' if count != 1 else ''}: reading them now."
            )
            return redirect("vector_store_detail", store_id)
    context = _detail_context(request, connection, client, store, add_form=form)
    context["search"] = SearchForm()
    return render(request, DETAIL, context, status=422)


@require_POST
@_backend_errors
def vector_store_remove_file(request: HttpRequest, store_id: str, file_id: str) -> HttpResponse:
    """Take a file out of the store (the file itself stays in Files)."""
    _connection, client, _store = _store_or_404(request, store_id)
    try:
        client.vector_stores.files.delete(file_id, vector_store_id=store_id)
    except NotFoundError:
        messages.info(request, "That file was not in the store any more.")
    except AssistantsError as error:
        messages.error(request, f"The file was not removed. {in_words(error)}")
    else:
        messages.success(request, "Removed the file from the store; it is still in Files.")
    return redirect("vector_store_detail", store_id)


@require_http_methods(["GET", "POST"])
@_backend_errors
def vector_store_delete(request: HttpRequest, store_id: str) -> HttpResponse:
    connection, client, store = _store_or_404(request, store_id)
    record = VectorStoreRecord.objects.find(connection, store_id)
    if not deletable(record, request.user):
        raise PermissionDenied(
            "Only the person who created a store, or an administrator, may delete it."
        )
    return confirm_delete(
        request,
        "vector_stores/confirm_delete.html",
        {"nav": "vector_stores", "store": store, "record": record},
        delete=lambda: client.vector_stores.delete(store_id),
        forget=lambda: VectorStoreRecord.forget(connection=connection, vector_store_id=store_id),
        done=f"Deleted the vector store {store.name or store.id}.",
        then="vector_store_list",
    )


# --- helpers ---------------------------------------------------------------------------------


def _store_or_404(
    request: HttpRequest, store_id: str
) -> tuple[Connection, AssistantsClient, VectorStore]:
    connection = Connection.objects.default()
    if not VectorStoreRecord.objects.visible_ids(request.user, connection, [store_id]):
        raise Http404("No such vector store.")
    client = backend(connection)
    try:
        return connection, client, client.vector_stores.retrieve(store_id)
    except NotFoundError as error:
        VectorStoreRecord.forget(connection=connection, vector_store_id=store_id)
        raise Http404("That vector store is gone.") from error


def _detail_context(
    request: HttpRequest,
    connection: Connection,
    client: AssistantsClient,
    store: VectorStore,
    *,
    full: bool = True,
    add_form: StoreFilesForm | None = None,
) -> dict[str, Any]:
    record = VectorStoreRecord.objects.find(connection, store.id)
    counts = store.file_counts
    done = counts.completed + counts.failed + counts.cancelled
    context: dict[str, Any] = {
        "nav": "vector_stores",
        "store": store,
        "record": record,
        "done": done,
        "percent": round(100 * done / counts.total) if counts.total else 100,
        "polling": counts.in_progress > 0,
        "poll_ms": STATUS_POLL_MS,
        "can_delete": deletable(record, request.user),
        "files": [],
    }
    try:
        entries = client.vector_stores.files.list(store.id, limit=100, order="desc").data
    except AssistantsError as error:
        context["files_error"] = in_words(error)
        entries = []
    ids = [e.id for e in entries]
    # The full page may ask the backend for names it does not know; the poll never does.
    names = file_names(client, connection, ids) if full else known_names(connection, ids)
    readable = FileRecord.objects.readable_ids(request.user, connection, ids)
    context["files"] = [
        {
            "entry": e,
            "name": names.get(e.id, e.id),
            "readable": e.id in readable,
        }
        for e in entries
    ]
    if full:
        context["add_form"] = add_form or AddStoreFilesForm(library=library_choices(connection))
    return context


def _gather_files(
    client: AssistantsClient, connection: Connection, request: HttpRequest, form: StoreFilesForm
) -> list[str]:
    """Upload the form's new files to the team library; their ids and the chosen ones."""
    uploaded = [
        upload(client, connection, request.user, f).file_id for f in form.cleaned_data["files"]
    ]
    return list(dict.fromkeys(uploaded + list(form.cleaned_data.get("existing") or [])))
