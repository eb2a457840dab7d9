"""Vector store lists carry file_counts and usage_bytes without a query per store."""

import pytest

from engine.files.models import File, VectorStore, VectorStoreFile

pytestmark = pytest.mark.django_db


def _store_with(statuses: list[str], usage: int) -> VectorStore:
    store = VectorStore.objects.create(name="kb")
    for number, status in enumerate(statuses):
        found = File.objects.create(filename=f"{number}.txt", purpose="assistants", bytes=1)
        VectorStoreFile.objects.create(
            vector_store=store, file=found, status=status, usage_bytes=usage
        )
    return store


def test_a_list_of_stores_counts_their_files_in_one_query(django_assert_num_queries):
    first = _store_with(["completed", "completed", "failed"], usage=10)
    second = _store_with(["in_progress"], usage=5)
    empty = VectorStore.objects.create(name="empty")
    with django_assert_num_queries(1):
        listed = {s.id: s.to_api() for s in VectorStore.objects.with_counts()}
    # The same figures as a single store's own aggregates.
    for store in (first, second, empty):
        assert listed[store.id] == VectorStore.objects.get(pk=store.pk).to_api()
    assert listed[first.id]["file_counts"] == {
        "in_progress": 0, "completed": 2, "failed": 1, "cancelled": 0, "total": 3,
    }  # fmt: skip
    assert listed[first.id]["usage_bytes"] == 30 and listed[empty.id]["usage_bytes"] == 0
    assert listed[second.id]["status"] == "in_progress"
