"""Objects by id, or the API's 404."""

from __future__ import annotations

from engine.api import get_or_404, not_found

from .models import File, FileBatch, VectorStore, VectorStoreFile


def file(file_id: str) -> File:
    return get_or_404(File.objects.live(), "file", file_id)


def files(file_ids: list[str]) -> list[File]:
    """Every file named, in order; a 404 names the first one missing."""
    found = {f.pk: f for f in File.objects.live().filter(pk__in=file_ids)}
    for file_id in file_ids:
        if file_id not in found:
            raise not_found("file", file_id)
    return [found[file_id] for file_id in dict.fromkeys(file_ids)]


def vector_store(store_id: str) -> VectorStore:
    return get_or_404(VectorStore.objects.all(), "vector store", store_id)


def vector_store_file(store: VectorStore, file_id: str) -> VectorStoreFile:
    return get_or_404(store.files.all(), "vector store file", file_id, field="file_id")


def batch(store: VectorStore, batch_id: str) -> FileBatch:
    return get_or_404(store.batches.all(), "file batch", batch_id)
