"""/v1/vector_stores with their files, file batches, parsed contents and search."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse

from engine.api import ApiError, body, endpoint, ok, paginate
from engine.schemas import dump

from .. import lookups, search
from ..models import FileBatch, VectorStore, VectorStoreFile
from ..schemas import (
    CreateFileBatch,
    CreateVectorStore,
    CreateVectorStoreFile,
    ModifyVectorStore,
    Search,
    UpdateAttributes,
    chunking_strategy,
)


def _polled(payload: dict, moving: bool) -> JsonResponse:
    """The SDK's pollers wait `openai-poll-after-ms` between looks."""
    after = settings.ENGINE_POLL_AFTER_MS if moving else 1000
    return ok(payload, openai_poll_after_ms=str(after))


def _file_page(request: HttpRequest, listed: QuerySet[VectorStoreFile]) -> HttpResponse:
    """A page of vector store files; their API ids are file ids, so cursors are translated."""
    params = request.GET.copy()
    if status := params.get("filter"):
        if status not in dict(VectorStoreFile.STATUSES):
            raise ApiError(
                400,
                f"Invalid 'filter': expected one of in_progress, completed, failed, cancelled; "
                f"got '{status[:40]}'.",
                param="filter",
                code="invalid_value",
            )
        listed = listed.filter(status=status)
    for name in ("after", "before"):
        if cursor := params.get(name):
            pk = listed.filter(file_id=cursor).values_list("pk", flat=True).first()
            if pk is None:
                raise ApiError(
                    400,
                    f"Invalid '{name}': no object with id '{cursor}' in this list.",
                    param=name,
                    code="invalid_value",
                )
            params[name] = str(pk)
    request.GET = params
    return paginate(request, listed)


@endpoint("GET", "POST")
def vector_stores(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        listed = VectorStore.objects.visible_to_key(request.engine_key).with_counts()
        return paginate(request, listed)
    data = body(request, CreateVectorStore)
    files = lookups.files(request.engine_key, data.file_ids)
    with transaction.atomic():
        store = VectorStore.objects.create(
            created_by_key=request.engine_key,
            name=data.name or "",
            description=data.description,
            metadata=data.metadata or {},
            expires_after=dump(data.expires_after),
        )
        store.add_files(files, chunking_strategy=chunking_strategy(data.chunking_strategy))
    return ok(store.to_api())


@endpoint("GET", "POST", "DELETE")
def vector_store(request: HttpRequest, vector_store_id: str) -> HttpResponse:
    store = lookups.vector_store(request.engine_key, vector_store_id, write=request.method != "GET")
    if request.method == "DELETE":
        store.delete()
        return ok({"id": vector_store_id, "object": "vector_store.deleted", "deleted": True})
    if request.method == "POST":
        data = body(request, ModifyVectorStore)
        given = data.model_fields_set
        if "name" in given:
            store.name = data.name or ""
        if "metadata" in given:
            store.metadata = data.metadata or {}
        if "expires_after" in given:
            store.expires_after = dump(data.expires_after)
        store.save(update_fields=["name", "metadata", "expires_after"])
    VectorStoreFile.objects.filter(vector_store=store).requeue_stale()
    payload = store.to_api()
    return _polled(payload, payload["status"] == VectorStore.IN_PROGRESS)


@endpoint("GET", "POST")
def vector_store_files(request: HttpRequest, vector_store_id: str) -> HttpResponse:
    store = lookups.vector_store(request.engine_key, vector_store_id, write=request.method != "GET")
    if request.method == "GET":
        return _file_page(request, store.files.all())
    data = body(request, CreateVectorStoreFile)
    found = lookups.file(request.engine_key, data.file_id)
    with transaction.atomic():
        (entry,) = store.add_files(
            [found],
            chunking_strategy=chunking_strategy(data.chunking_strategy),
            attributes=data.attributes,
        )
    return _polled(entry.to_api(), True)


@endpoint("GET", "POST", "DELETE")
def vector_store_file(request: HttpRequest, vector_store_id: str, file_id: str) -> HttpResponse:
    store = lookups.vector_store(request.engine_key, vector_store_id, write=request.method != "GET")
    entry = lookups.vector_store_file(store, file_id)
    if request.method == "DELETE":
        entry.delete()
        store.touch()
        return ok({"id": file_id, "object": "vector_store.file.deleted", "deleted": True})
    if request.method == "POST":
        entry.attributes = body(request, UpdateAttributes).attributes or {}
        entry.save(update_fields=["attributes", "updated_at"])
    elif VectorStoreFile.objects.filter(pk=entry.pk).requeue_stale():
        entry.refresh_from_db()
    return _polled(entry.to_api(), entry.status == VectorStoreFile.IN_PROGRESS)


@endpoint("GET")
def vector_store_file_content(
    request: HttpRequest, vector_store_id: str, file_id: str
) -> HttpResponse:
    store = lookups.vector_store(request.engine_key, vector_store_id)
    entry = lookups.vector_store_file(store, file_id)
    data = [{"type": "text", "text": entry.text}] if entry.text else []
    return ok(
        {
            "object": "vector_store.file_content.page",
            "file_id": entry.file_id,
            "filename": entry.file.filename,
            "attributes": entry.attributes,
            "data": data,
            "has_more": False,
            "next_page": None,
        }
    )


@endpoint("POST")
def file_batches(request: HttpRequest, vector_store_id: str) -> HttpResponse:
    store = lookups.vector_store(request.engine_key, vector_store_id, write=True)
    data = body(request, CreateFileBatch)
    wanted = data.files or [CreateVectorStoreFile(file_id=i) for i in data.file_ids or []]
    named = [item.file_id for item in wanted]
    found = {f.pk: f for f in lookups.files(request.engine_key, named)}
    with transaction.atomic():
        batch = FileBatch.objects.create(vector_store=store)
        for item in wanted:
            # With `files`, each item brings its own strategy and attributes.
            store.add_files(
                [found[item.file_id]],
                chunking_strategy=chunking_strategy(
                    item.chunking_strategy if data.files else data.chunking_strategy
                ),
                attributes=item.attributes if data.files else data.attributes,
                batch=batch,
            )
    return _polled(batch.to_api(), True)


@endpoint("GET")
def file_batch(request: HttpRequest, vector_store_id: str, batch_id: str) -> HttpResponse:
    batch = lookups.batch(lookups.vector_store(request.engine_key, vector_store_id), batch_id)
    batch.files.requeue_stale()
    payload = batch.to_api()
    return _polled(payload, payload["status"] == "in_progress")


@endpoint("POST")
def cancel_file_batch(request: HttpRequest, vector_store_id: str, batch_id: str) -> HttpResponse:
    store = lookups.vector_store(request.engine_key, vector_store_id, write=True)
    batch = lookups.batch(store, batch_id)
    status = batch.to_api()["status"]
    if status != "in_progress":
        raise ApiError(400, f"Cannot cancel a file batch that is {status}.")
    batch.cancel()
    return ok(batch.to_api())


@endpoint("GET")
def file_batch_files(request: HttpRequest, vector_store_id: str, batch_id: str) -> HttpResponse:
    batch = lookups.batch(lookups.vector_store(request.engine_key, vector_store_id), batch_id)
    return _file_page(request, batch.files.all())


@endpoint("POST")
def search_vector_store(request: HttpRequest, vector_store_id: str) -> HttpResponse:
    store = lookups.vector_store(request.engine_key, vector_store_id)
    data = body(request, Search)
    ranking = data.ranking_options
    hits = search.search(
        [store.pk],
        data.query,
        max_results=data.max_num_results,
        score_threshold=ranking.score_threshold if ranking else 0.0,
        filters=dump(data.filters),
    )
    store.touch()
    queries = [data.query] if isinstance(data.query, str) else data.query
    return ok(
        {
            "object": "vector_store.search_results.page",
            "search_query": queries,
            "data": [hit.api_result() for hit in hits],
            "has_more": False,
            "next_page": None,
        }
    )
