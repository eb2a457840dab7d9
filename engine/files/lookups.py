"""Objects by id, or the API's 404."""

from __future__ import annotations

from engine.api import not_found

from .models import File, FileBatch, VectorStore, VectorStoreFile


def file(file_id: str) -> File:
    found = File.objects.live().filter(pk=file_id).first()
    if found is None:
        raise not_found("file", file_id)
    return found


def files(file_ids: list[str]) -> list[File]:
    """Every file named, in order; a 404 names the first one missing."""
    found = {f.pk: f for f in File.objects.live().filter(pk__in=file_ids)}
    for file_id in file_ids:
        if file_id not in found:
            raise not_found("file", file_id)
    return [found[file_id] for file_id in dict.fromkeys(file_ids)]


def vector_store(store_id: str) -> VectorStore:
    found = VectorStore.objects.filter(pk=store_id).first()
    if found is None:
        raise not_found("vector store", store_id)
    return found


def vector_store_file(store: VectorStore, file_id: str) -> VectorStoreFile:
    found = store.files.filter(file_id=file_id).first()
    if found is None:
        raise not_found("vector store file", file_id)
    return found


def batch(store: VectorStore, batch_id: str) -> FileBatch:
    found = store.batches.filter(pk=batch_id).first()
    if found is None:
        raise not_found("file batch", batch_id)
    return found
