"""/v1/vector_stores through the official SDK against the live server, with the engine's worker
ingesting in the background: every supported type, chunking strategies, search, batches,
cancel, removal, and errors in the API's envelope."""

from __future__ import annotations

import io

import openai
import pytest

from tests.support import wait_until

from .conftest import wait_for_files
from .documents import of_type

SENTENCE = "The quartz zebra treaty was signed in Reykjavik in 1987."
KINDS = [".txt", ".md", ".html", ".json", ".csv", ".pdf", ".docx", ".pptx"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_supported_type_is_ingested_and_found(kind, openai_client, engine_worker):
    store = openai_client.vector_stores.create(name=f"docs {kind}")
    entry = openai_client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=(f"doc{kind}", io.BytesIO(of_type(kind, SENTENCE)))
    )
    assert entry.status == "completed", entry.last_error
    assert entry.last_error is None and entry.usage_bytes > 0
    text = openai_client.vector_stores.files.content(entry.id, vector_store_id=store.id)
    assert SENTENCE in text.data[0].text
    if kind == ".html":
        assert "scriptword" not in text.data[0].text  # scripts are not text
    results = openai_client.vector_stores.search(
        store.id, query="Where was the zebra treaty signed?"
    )
    assert results.data[0].file_id == entry.id
    assert SENTENCE in results.data[0].content[0].text
    assert 0 < results.data[0].score <= 1


def test_store_reports_counts_and_status(openai_client, upload, engine_worker):
    good = upload("good.txt", b"apples and pears")
    bad = upload("bad.png", b"\x89PNG\r\n\x1a\n")
    store = openai_client.vector_stores.create(name="mixed", file_ids=[good.id, bad.id])
    assert store.object == "vector_store" and store.name == "mixed"
    assert store.file_counts.total == 2
    entries = {e.id: e for e in wait_for_files(openai_client, store.id)}
    assert entries[good.id].status == "completed"
    failed = entries[bad.id]
    assert failed.status == "failed"
    assert failed.last_error.code == "unsupported_file"
    assert ".png" in failed.last_error.message
    store = openai_client.vector_stores.retrieve(store.id)
    assert store.status == "completed"
    counts = store.file_counts
    assert (counts.completed, counts.failed, counts.in_progress, counts.total) == (1, 1, 0, 2)
    assert store.usage_bytes > 0


def test_broken_files_fail_with_invalid_file(openai_client, upload, engine_worker):
    store = openai_client.vector_stores.create(name="broken")
    for name, data in [
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf"),
        ("broken.docx", b"PK not a zip"),
        ("broken.json", b'{"unclosed": '),
        ("empty.txt", b"   \n"),
    ]:
        entry = openai_client.vector_stores.files.upload_and_poll(
            vector_store_id=store.id, file=(name, io.BytesIO(data))
        )
        assert entry.status == "failed", name
        assert entry.last_error.code == "invalid_file", (name, entry.last_error)
        assert name in entry.last_error.message or "JSON" in entry.last_error.message


def test_static_chunking_is_honoured(openai_client, upload, engine_worker):
    words = " ".join(f"word{i}" for i in range(1000))
    created = upload("long.txt", words.encode())
    store = openai_client.vector_stores.create(name="chunks")
    strategy = {
        "type": "static",
        "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 50},
    }
    entry = openai_client.vector_stores.files.create_and_poll(
        file_id=created.id, vector_store_id=store.id, chunking_strategy=strategy
    )
    assert entry.chunking_strategy.type == "static"
    assert entry.chunking_strategy.static.max_chunk_size_tokens == 100
    found = openai_client.vector_stores.search(store.id, query="word500", max_num_results=50)
    # Windows of 100 tokens stepping by 50: exactly two chunks hold any given word.
    assert len(found.data) == 2
    assert all("word500" in r.content[0].text for r in found.data)
    assert all(len(r.content[0].text.split()) <= 100 for r in found.data)


def test_auto_chunking_is_800_by_400(openai_client, upload, engine_worker):
    created = upload("auto.txt", b"hello")
    store = openai_client.vector_stores.create(name="auto", file_ids=[created.id])
    (entry,) = wait_for_files(openai_client, store.id)
    assert entry.chunking_strategy.static.max_chunk_size_tokens == 800
    assert entry.chunking_strategy.static.chunk_overlap_tokens == 400


def test_bad_chunking_is_a_400(openai_client, upload):
    created = upload("x.txt", b"x")
    store = openai_client.vector_stores.create(name="bad")
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.vector_stores.files.create(
            vector_store_id=store.id,
            file_id=created.id,
            chunking_strategy={
                "type": "static",
                "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 150},
            },
        )
    assert "half of max_chunk_size_tokens" in caught.value.body["message"]


def test_search_ranks_threshold_and_limit(openai_client, upload, engine_worker):
    texts = {
        "refunds.txt": "Refunds: a refund is paid within 14 days. Refund requests need a receipt.",
        "shipping.txt": "Shipping takes five days. Parcels are tracked. A refund covers shipping.",
        "hours.txt": "The shop opens at nine and closes at five, every day but Sunday.",
    }
    ids = {name: upload(name, text.encode()).id for name, text in texts.items()}
    store = openai_client.vector_stores.create(name="shop", file_ids=list(ids.values()))
    wait_for_files(openai_client, store.id)
    results = openai_client.vector_stores.search(store.id, query="How are refunds paid?")
    ranked = [r.file_id for r in results.data]
    assert ranked == [ids["refunds.txt"], ids["shipping.txt"]]  # hours.txt shares no term
    scores = [r.score for r in results.data]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert results.data[0].filename == "refunds.txt"
    top = openai_client.vector_stores.search(store.id, query="refund", max_num_results=1)
    assert [r.file_id for r in top.data] == [ids["refunds.txt"]]
    strict = openai_client.vector_stores.search(
        store.id,
        query="How are refunds paid?",
        ranking_options={"score_threshold": (scores[0] + scores[1]) / 2},
    )
    assert [r.file_id for r in strict.data] == [ids["refunds.txt"]]
    nothing = openai_client.vector_stores.search(store.id, query="unicorns")
    assert nothing.data == []


def test_search_filters_on_attributes(openai_client, upload, engine_worker):
    store = openai_client.vector_stores.create(name="filtered")
    for name, year in (("old.txt", 2019), ("new.txt", 2024)):
        created = upload(name, f"Annual report on budgets for {year}.".encode())
        openai_client.vector_stores.files.create_and_poll(
            file_id=created.id,
            vector_store_id=store.id,
            attributes={"year": year, "kind": "report"},
        )
    recent = openai_client.vector_stores.search(
        store.id, query="budget report", filters={"type": "gte", "key": "year", "value": 2020}
    )
    assert [r.filename for r in recent.data] == ["new.txt"]
    assert recent.data[0].attributes == {"year": 2024, "kind": "report"}
    both = openai_client.vector_stores.search(
        store.id,
        query="budget",
        filters={
            "type": "and",
            "filters": [
                {"type": "eq", "key": "kind", "value": "report"},
                {"type": "in", "key": "year", "value": [2019, 2024]},
            ],
        },
    )
    assert sorted(r.filename for r in both.data) == ["new.txt", "old.txt"]


def test_file_batches_upload_and_poll(openai_client, engine_worker):
    store = openai_client.vector_stores.create(name="batch")
    files = [
        (f"part{i}.txt", io.BytesIO(f"Batch part number {i} about otters.".encode()))
        for i in range(3)
    ]
    batch = openai_client.vector_stores.file_batches.upload_and_poll(store.id, files=files)
    assert batch.object == "vector_store.files_batch" and batch.status == "completed"
    assert (batch.file_counts.completed, batch.file_counts.total) == (3, 3)
    listed = openai_client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
    assert len(listed.data) == 3 and all(e.status == "completed" for e in listed.data)
    again = openai_client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id)
    assert again.status == "completed"
    found = openai_client.vector_stores.search(store.id, query="otters", max_num_results=10)
    assert len(found.data) == 3


def test_cancelling_a_batch_cancels_waiting_files(openai_client, upload):
    # No worker: the ingestions stay queued, so the cancel finds them in progress.
    created = [upload(f"c{i}.txt", b"waiting") for i in range(2)]
    store = openai_client.vector_stores.create(name="cancel")
    batch = openai_client.vector_stores.file_batches.create(
        store.id, file_ids=[c.id for c in created]
    )
    assert batch.status == "in_progress" and batch.file_counts.in_progress == 2
    cancelled = openai_client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert cancelled.status == "cancelled"
    assert (cancelled.file_counts.cancelled, cancelled.file_counts.in_progress) == (2, 0)
    listed = openai_client.vector_stores.file_batches.list_files(
        batch.id, vector_store_id=store.id, filter="cancelled"
    )
    assert sorted(e.id for e in listed.data) == sorted(c.id for c in created)
    with pytest.raises(openai.BadRequestError):
        openai_client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)


def test_cancelled_ingestion_writes_nothing(openai_client, upload, engine_worker_factory):
    created = upload("late.txt", b"a cancelled ingestion leaves no chunks")
    store = openai_client.vector_stores.create(name="late")
    batch = openai_client.vector_stores.file_batches.create(store.id, file_ids=[created.id])
    openai_client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    engine_worker_factory()  # the queued task now runs, and must lose to the cancel
    from django_tasks_db.models import DBTaskResult

    wait_until(
        lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(),
        timeout=10,
        message="the queued ingestion to run",
    )
    entry = openai_client.vector_stores.files.retrieve(created.id, vector_store_id=store.id)
    assert entry.status == "cancelled"
    assert openai_client.vector_stores.search(store.id, query="cancelled ingestion").data == []


def test_removing_files_from_a_store_and_deleting_files(openai_client, upload, engine_worker):
    first = upload("one.txt", b"penguins live in the south")
    second = upload("two.txt", b"penguins also swim")
    store = openai_client.vector_stores.create(name="rm", file_ids=[first.id, second.id])
    wait_for_files(openai_client, store.id)
    removed = openai_client.vector_stores.files.delete(first.id, vector_store_id=store.id)
    assert (removed.id, removed.object, removed.deleted) == (
        first.id,
        "vector_store.file.deleted",
        True,
    )
    assert openai_client.files.retrieve(first.id).id == first.id  # the file itself stays
    found = openai_client.vector_stores.search(store.id, query="penguins")
    assert [r.file_id for r in found.data] == [second.id]
    openai_client.files.delete(second.id)  # deleting a file removes it from every store
    assert openai_client.vector_stores.search(store.id, query="penguins").data == []
    assert openai_client.vector_stores.retrieve(store.id).file_counts.total == 0


def test_store_crud_and_pagination(openai_client, upload):
    stores = [
        openai_client.vector_stores.create(name=f"s{i}", metadata={"n": str(i)}) for i in range(3)
    ]
    listed = [s.id for s in openai_client.vector_stores.list(order="asc", limit=2)]
    assert listed == [s.id for s in stores]
    updated = openai_client.vector_stores.update(
        stores[0].id, name="renamed", expires_after={"anchor": "last_active_at", "days": 7}
    )
    assert updated.name == "renamed" and updated.expires_after.days == 7
    assert updated.expires_at - updated.last_active_at == 7 * 86400
    deleted = openai_client.vector_stores.delete(stores[0].id)
    assert (deleted.object, deleted.deleted) == ("vector_store.deleted", True)
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.vector_stores.retrieve(stores[0].id)
    assert caught.value.body["message"] == f"No vector store found with id '{stores[0].id}'."
    files = [upload(f"f{i}.txt", b"f") for i in range(3)]
    for created in files:
        openai_client.vector_stores.files.create(vector_store_id=stores[1].id, file_id=created.id)
    paged = [e.id for e in openai_client.vector_stores.files.list(stores[1].id, limit=1)]
    assert paged == [f.id for f in reversed(files)]


def test_errors_in_the_envelope(openai_client, upload):
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.vector_stores.create(file_ids=["file-missing"])
    assert caught.value.body["message"] == "No file found with id 'file-missing'."
    store = openai_client.vector_stores.create(name="e")
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.vector_stores.search(store.id, query="x", max_num_results=51)
    assert caught.value.body["param"] == "max_num_results"
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.vector_stores.files.list(store.id, filter="done")
    assert caught.value.body["param"] == "filter"
    with pytest.raises(openai.NotFoundError):
        openai_client.vector_stores.files.retrieve("file-nope", vector_store_id=store.id)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.vector_stores.file_batches.create(store.id, file_ids=[])
    assert caught.value.body["param"] == "file_ids"


def test_attributes_can_be_updated(openai_client, upload):
    created = upload("attr.txt", b"attributes")
    store = openai_client.vector_stores.create(name="attrs")
    openai_client.vector_stores.files.create(
        vector_store_id=store.id, file_id=created.id, attributes={"team": "blue"}
    )
    updated = openai_client.vector_stores.files.update(
        created.id, vector_store_id=store.id, attributes={"team": "red", "year": 2025}
    )
    assert updated.attributes == {"team": "red", "year": 2025}
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.vector_stores.files.update(
            created.id, vector_store_id=store.id, attributes={f"k{i}": i for i in range(17)}
        )
    assert caught.value.body["param"] == "attributes"


def test_an_ingestion_whose_worker_died_is_queued_again(openai_client, upload, engine_worker):
    from django.utils import timezone

    from engine.files.models import VectorStoreFile

    created = upload("orphan.txt", b"an orphaned ingestion about walruses")
    store = openai_client.vector_stores.create(name="orphan")
    # As if a worker had claimed the task and died: in progress, nobody working on it.
    entry = VectorStoreFile.objects.create(vector_store_id=store.id, file_id=created.id)
    VectorStoreFile.objects.filter(pk=entry.pk).update(
        updated_at=timezone.now() - timezone.timedelta(hours=1)
    )
    # The retrieve queues it again and wakes the worker, which may finish it before the reply
    # counts the files: in progress or completed, but counted once and fenced anew.
    counts = openai_client.vector_stores.retrieve(store.id).file_counts
    assert VectorStoreFile.objects.get(pk=entry.pk).attempt == entry.attempt + 1
    assert counts.in_progress + counts.completed == counts.total == 1
    done = openai_client.vector_stores.files.poll(
        created.id, vector_store_id=store.id, max_wait_seconds=20
    )
    assert done.status == "completed"
    assert openai_client.vector_stores.search(store.id, query="walruses").data


def test_an_assistant_created_with_a_new_store_gets_it_made_and_filled(
    openai_client, upload, engine_worker
):
    file_id = upload("manual.txt", b"The kettle boils water in three minutes.").id
    assistant = openai_client.beta.assistants.create(
        model="demo",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [file_id]}]}},
    )
    (store_id,) = assistant.tool_resources.file_search.vector_store_ids
    wait_for_files(openai_client, store_id)
    files = openai_client.vector_stores.files.list(vector_store_id=store_id).data
    assert [(f.id, f.status) for f in files] == [(file_id, "completed")]
    hits = openai_client.vector_stores.search(vector_store_id=store_id, query="kettle boils")
    assert hits.data[0].file_id == file_id


def test_new_store_helpers_are_checked(openai_client, upload):
    file_id = upload("a.txt", b"alpha").id
    with pytest.raises(openai.NotFoundError) as missing:
        openai_client.beta.assistants.create(
            model="demo",
            tool_resources={"file_search": {"vector_stores": [{"file_ids": ["file-nope"]}]}},
        )
    assert missing.value.body["message"] == "No file found with id 'file-nope'."
    store = openai_client.vector_stores.create(name="kb")
    with pytest.raises(openai.BadRequestError) as both:
        openai_client.beta.assistants.create(
            model="demo",
            tool_resources={
                "file_search": {
                    "vector_store_ids": [store.id],
                    "vector_stores": [{"file_ids": [file_id]}],
                }
            },
        )
    assert both.value.body["param"] == "tool_resources.file_search"
    too_small = {
        "type": "static",
        "static": {"max_chunk_size_tokens": 50, "chunk_overlap_tokens": 0},
    }
    with pytest.raises(openai.BadRequestError) as bad:
        openai_client.beta.assistants.create(
            model="demo",
            tool_resources={
                "file_search": {
                    "vector_stores": [{"file_ids": [file_id], "chunking_strategy": too_small}]
                }
            },
        )
    assert bad.value.body["param"].startswith("tool_resources.file_search.vector_stores")
    assert openai_client.beta.assistants.list().data == []  # nothing half-made


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"query": ""}, "query"),
        ({"query": ["budget", ""]}, "query[1]"),
        ({"query": []}, "query"),
        ({"query": "budget", "filters": {"type": "eq", "key": "", "value": "x"}}, "filters.key"),
        (
            {
                "query": "budget",
                "filters": {"type": "or", "filters": [{"type": "eq", "key": "", "value": 1}]},
            },
            "filters.filters[0].key",
        ),
    ],
    ids=["empty query", "an empty query in a list", "no queries", "empty key", "nested key"],
)
def test_search_refuses_an_empty_query_or_filter_key(openai_client, body, param):
    """As the dashboard's client refuses them: a 400 naming the field, never a search of
    nothing."""
    store = openai_client.vector_stores.create(name="strict")
    with pytest.raises(openai.BadRequestError) as refused:
        openai_client.post(f"/vector_stores/{store.id}/search", body=body, cast_to=object)
    assert refused.value.body["type"] == "invalid_request_error"
    assert refused.value.body["param"] == param
