"""The dashboard's records of files and vector stores (models.py, files.py): who sees, reads and
deletes what, without any backend."""

from __future__ import annotations

import pytest

from assistants_app.files import library_choices, may_delete, note_outputs
from assistants_app.models import (
    Connection,
    FileRecord,
    ThreadFile,
    ThreadRecord,
    VectorStoreRecord,
    deletable,
)


@pytest.fixture
def connection(db):
    return Connection.objects.default()


@pytest.fixture
def thread(connection, owner):
    return ThreadRecord.objects.create(
        connection=connection, thread_id="thread_1", owner=owner, assistant_id="asst_1"
    )


def _file(connection, file_id: str, **extra) -> FileRecord:
    return FileRecord.objects.create(connection=connection, file_id=file_id, **extra)


def test_library_files_are_everyones_thread_files_the_threads(
    connection, thread, owner, teammate, outsider
):
    _file(connection, "file-lib", uploaded_by=owner)
    _file(connection, "file-chat", uploaded_by=owner, thread=thread)
    ids = ["file-lib", "file-chat", "file-elsewhere"]
    assert FileRecord.objects.readable_ids(owner, connection, ids) == {"file-lib", "file-chat"}
    assert FileRecord.objects.readable_ids(teammate, connection, ids) == {"file-lib"}
    assert FileRecord.objects.readable_ids(outsider, connection, ids) == {"file-lib"}
    thread.sharing = ThreadRecord.Sharing.TEAM_READ
    thread.save()
    assert FileRecord.objects.readable_ids(teammate, connection, ids) == {"file-lib", "file-chat"}
    assert list(FileRecord.objects.visible_to(teammate).order_by("file_id")) == list(
        FileRecord.objects.order_by("file_id")
    )


def test_files_a_thread_refers_to_are_read_through_it(connection, thread, owner, teammate):
    ThreadFile.note(thread, {"file-cited": "guide.md"})
    ThreadFile.note(thread, {"file-cited": "guide.md", "file-2": ""})  # noted twice: one row
    assert ThreadFile.objects.count() == 2
    assert FileRecord.objects.readable_ids(owner, connection, ["file-cited"]) == {"file-cited"}
    assert FileRecord.objects.readable_ids(teammate, connection, ["file-cited"]) == set()


def test_administrators_read_everything(connection, admin_user):
    assert FileRecord.objects.readable_ids(admin_user, connection, ["file-x"]) == {"file-x"}
    assert may_delete(admin_user, connection, "file-x")


def test_who_may_delete(connection, thread, owner, teammate):
    _file(connection, "file-lib", uploaded_by=teammate)
    _file(connection, "file-out", thread=thread, purpose="assistants_output")
    assert may_delete(teammate, connection, "file-lib")
    assert not may_delete(owner, connection, "file-lib")
    assert may_delete(owner, connection, "file-out")  # the chat's owner, for its outputs
    assert not may_delete(teammate, connection, "file-out")
    assert not may_delete(owner, connection, "file-unrecorded")


def test_outputs_never_take_over_a_library_file(connection, thread, teammate):
    _file(connection, "file-lib", uploaded_by=teammate)
    note_outputs(thread, {"file-lib": "x.png", "file-new": "plot.png"})
    assert FileRecord.objects.get(file_id="file-lib").thread is None
    made = FileRecord.objects.get(file_id="file-new")
    assert (made.thread, made.purpose, made.uploaded_by) == (thread, "assistants_output", None)


def test_deleting_a_thread_hides_its_files_from_members(connection, thread, owner):
    _file(connection, "file-chat", uploaded_by=owner, thread=thread)
    thread.delete()
    assert FileRecord.objects.readable_ids(owner, connection, ["file-chat"]) == set()


def test_stores_made_here_are_the_teams(connection, owner, outsider, admin_user):
    VectorStoreRecord.objects.create(
        connection=connection, vector_store_id="vs_here", created_by=owner
    )
    ids = ["vs_here", "vs_elsewhere"]
    assert VectorStoreRecord.objects.visible_ids(outsider, connection, ids) == {"vs_here"}
    assert VectorStoreRecord.objects.visible_ids(admin_user, connection, ids) == set(ids)
    record = VectorStoreRecord.objects.get()
    assert record.can_delete(owner) and record.can_delete(admin_user)
    assert not record.can_delete(outsider)


def test_the_library_offers_team_files_only(connection, thread, owner):
    _file(connection, "file-lib", filename="guide.md", uploaded_by=owner)
    _file(connection, "file-unnamed", uploaded_by=owner)
    _file(connection, "file-chat", uploaded_by=owner, thread=thread)
    _file(connection, "file-made", purpose=FileRecord.OUTPUT_PURPOSE)
    assert sorted(library_choices(connection)) == [
        ("file-lib", "guide.md"),
        ("file-unnamed", "file-unnamed"),
    ]


def test_records_are_found_and_forgotten_per_connection(connection, owner, outsider, admin_user):
    other = Connection.objects.create(name="Elsewhere", base_url="https://api.example.com/v1")
    _file(connection, "file-1", uploaded_by=owner)
    _file(other, "file-1")
    assert FileRecord.objects.find(connection, "file-1").uploaded_by == owner
    assert FileRecord.objects.find(connection, "file-2") is None
    FileRecord.forget(connection=connection, file_id="file-1")
    assert list(FileRecord.objects.values_list("connection", flat=True)) == [other.pk]

    VectorStoreRecord.objects.create(
        connection=connection, vector_store_id="vs_1", created_by=owner
    )
    VectorStoreRecord.objects.create(connection=other, vector_store_id="vs_1")
    record = VectorStoreRecord.objects.find(connection, "vs_1")
    assert record.created_by == owner
    assert deletable(record, owner) and not deletable(record, outsider)
    # Made outside the dashboard (no record): administrators only.
    assert deletable(None, admin_user) and not deletable(None, owner)
    VectorStoreRecord.forget(connection=connection, vector_store_id="vs_1")
    assert VectorStoreRecord.objects.find(connection, "vs_1") is None
    assert VectorStoreRecord.objects.find(other, "vs_1") is not None
