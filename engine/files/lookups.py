"""Objects by id as the caller may reach them (KeyScopedQuerySet.visible_to_key), or the API's
404: an object the caller may not reach is answered exactly like an unknown id."""

from __future__ import annotations

from engine.api import get_or_404, not_found
from engine.models import Principal

from .models import File, FileBatch, VectorStore, VectorStoreFile


def file(key: Principal, file_id: str) -> File:
    return get_or_404(File.objects.live().visible_to_key(key), "file", file_id)


def files(key: Principal, file_ids: list[str]) -> list[File]:
    """Every file named, in order; a 404 names the first one missing."""
    reachable = File.objects.live().visible_to_key(key).filter(pk__in=file_ids)
    found = {f.pk: f for f in reachable}
    for file_id in file_ids:
        if file_id not in found:
            raise not_found("file", file_id)
    return [found[file_id] for file_id in dict.fromkeys(file_ids)]


def vector_store(key: Principal, store_id: str, *, write: bool = False) -> VectorStore:
    """A store to read and search (or, with `write`, to change, delete or add files to)."""
    reachable = VectorStore.objects.visible_to_key(key, write=write)
    return get_or_404(reachable, "vector store", store_id)


def vector_stores(key: Principal, store_ids: list[str]) -> None:
    """A 404 for the first store named that the caller may not use."""
    reachable = set(
        VectorStore.objects.visible_to_key(key)
        .filter(pk__in=store_ids)
        .values_list("pk", flat=True)
    )
    for store_id in store_ids:
        if store_id not in reachable:
            raise not_found("vector store", store_id)


def vector_store_file(store: VectorStore, file_id: str) -> VectorStoreFile:
    return get_or_404(store.files.all(), "vector store file", file_id, field="file_id")


def batch(store: VectorStore, batch_id: str) -> FileBatch:
    return get_or_404(store.batches.all(), "file batch", batch_id)
