"""Files (multipart upload, raw content) and vector stores (their files, batches, search)."""

from __future__ import annotations

import json

import pytest

from assistants_app.services import InvalidRequestError

from .conftest import url


def test_upload_is_multipart_without_the_beta_header(client, respx_mock, tmp_path):
    route = respx_mock.post(url("files")).respond(
        json={"id": "file-1", "object": "file", "filename": "notes.txt", "purpose": "assistants"}
    )
    path = tmp_path / "notes.txt"
    path.write_bytes(b"the notes")
    uploaded = client.files.create(
        file=path, purpose="assistants", expires_after={"anchor": "created_at", "seconds": 3600}
    )
    assert uploaded.filename == "notes.txt"
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert "OpenAI-Beta" not in request.headers
    body = request.read()
    assert b'name="file"; filename="notes.txt"' in body
    assert b"the notes" in body
    assert b'name="purpose"\r\n\r\nassistants' in body
    assert b'name="expires_after[seconds]"\r\n\r\n3600' in body


def test_upload_purpose_is_checked_first(client, respx_mock):
    route = respx_mock.post(url("files")).respond(json={"id": "file-1"})
    with pytest.raises(InvalidRequestError, match="purpose"):
        client.files.create(file=("a.txt", b"x"), purpose="homework")
    assert not route.called


def test_file_content_is_bytes(client, respx_mock):
    respx_mock.get(url("files/file-1/content")).respond(content=b"\x00\x01binary")
    assert client.files.content("file-1") == b"\x00\x01binary"


def test_vector_store_calls(client, respx_mock):
    search = respx_mock.post(url("vector_stores/vs_1/search")).respond(
        json={"object": "vector_store.search_results.page", "search_query": ["refunds"],
              "data": [{"file_id": "file-1", "filename": "faq.md", "score": 0.9,
                        "content": [{"type": "text", "text": "30 days"}]}],
              "has_more": False, "next_page": None}
    )  # fmt: skip
    batch = respx_mock.post(url("vector_stores/vs_1/file_batches")).respond(
        json={"id": "vsfb_1", "status": "in_progress", "file_counts": {"total": 2}}
    )
    results = client.vector_stores.search(
        "vs_1", query="refunds", max_num_results=3, filters={"type": "eq", "key": "lang",
                                                             "value": "en"}
    )  # fmt: skip
    assert results.data[0].content[0].text == "30 days"
    assert json.loads(search.calls.last.request.content) == {
        "query": "refunds",
        "max_num_results": 3,
        "filters": {"type": "eq", "key": "lang", "value": "en"},
    }
    created = client.vector_stores.file_batches.create("vs_1", file_ids=["file-1", "file-2"])
    assert created.file_counts.total == 2
    assert batch.calls.last.request.headers["OpenAI-Beta"] == "assistants=v2"
    with pytest.raises(InvalidRequestError, match="exactly one"):
        client.vector_stores.file_batches.create("vs_1")


def test_file_content_stream_yields_chunks_and_maps_errors(client, respx_mock):
    from assistants_app.services import NotFoundError

    respx_mock.get(url("files/file-1/content")).respond(
        content=b"a" * 70_000, headers={"Content-Type": "text/csv"}
    )
    response = client.files.content_stream("file-1")
    assert response.headers["Content-Type"] == "text/csv"
    chunks = list(response.iter_bytes(32_768))
    response.close()
    assert response.is_closed
    assert b"".join(chunks) == b"a" * 70_000 and len(chunks) == 3
    respx_mock.get(url("files/file-2/content")).respond(
        404, json={"error": {"message": "No such file: file-2", "type": "invalid_request_error"}}
    )
    with pytest.raises(NotFoundError, match="No such file"):
        client.files.content_stream("file-2")
