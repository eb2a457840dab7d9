"""/v1/files through the official SDK against the live server: upload, list, retrieve, content,
delete, the size limit and errors in the API's envelope."""

from __future__ import annotations

import io

import httpx
import openai
import pytest


def test_upload_retrieve_and_download(upload, openai_client):
    created = upload("notes.txt", b"hello files")
    assert created.id.startswith("file-")
    assert (created.object, created.bytes, created.filename) == ("file", 11, "notes.txt")
    assert created.purpose == "assistants" and created.status == "processed"
    again = openai_client.files.retrieve(created.id)
    assert again.model_dump() == created.model_dump()
    assert openai_client.files.content(created.id).read() == b"hello files"


def test_list_filters_by_purpose_and_pages_with_after(upload, openai_client):
    first = upload("a.txt", b"a")
    second = upload("b.jsonl", b"{}", purpose="batch")
    third = upload("c.txt", b"c")
    listed = [f.id for f in openai_client.files.list()]
    assert listed == [third.id, second.id, first.id]  # newest first
    assistants = [f.id for f in openai_client.files.list(purpose="assistants")]
    assert assistants == [third.id, first.id]
    page = openai_client.files.list(limit=1, order="asc")
    assert [f.id for f in page.data] == [first.id] and page.has_more
    assert [f.id for f in page.get_next_page().data] == [second.id]
    everything = [f.id for f in openai_client.files.list(limit=1, order="asc")]  # auto-paging
    assert everything == [first.id, second.id, third.id]


def test_delete_removes_the_file_and_its_content(upload, openai_client, settings):
    created = upload("gone.txt", b"bye")
    deleted = openai_client.files.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "file", True)
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.files.retrieve(created.id)
    assert caught.value.body["message"] == f"No file found with id '{created.id}'."
    with pytest.raises(openai.NotFoundError):
        openai_client.files.content(created.id)


def test_upload_over_the_limit_is_a_clear_400(upload, settings):
    settings.ENGINE_FILE_MAX_BYTES = 1024
    with pytest.raises(openai.BadRequestError) as caught:
        upload("big.txt", b"x" * 2048)
    error = caught.value.body
    assert error["code"] == "file_too_large" and error["param"] == "file"
    assert "at most 1.0 KB" in error["message"] and "ENGINE_FILE_MAX_BYTES" in error["message"]
    assert upload("small.txt", b"x" * 1024).bytes == 1024


def test_bad_uploads_are_400s_in_the_envelope(engine_url, engine_key, upload):
    headers = {"Authorization": f"Bearer {engine_key}"}
    files = {"file": ("a.txt", io.BytesIO(b"a"))}
    missing = httpx.post(f"{engine_url}/files", headers=headers, files=files)
    assert missing.status_code == 400
    assert missing.json()["error"]["message"] == "Missing required parameter: 'purpose'."
    wrong = httpx.post(
        f"{engine_url}/files", headers=headers, files=files, data={"purpose": "homework"}
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "purpose"
    no_file = httpx.post(f"{engine_url}/files", headers=headers, data={"purpose": "assistants"})
    assert no_file.status_code == 400
    as_json = httpx.post(f"{engine_url}/files", headers=headers, json={"purpose": "assistants"})
    assert (
        as_json.status_code == 400 and "multipart/form-data" in as_json.json()["error"]["message"]
    )


def test_files_need_a_key(engine_url, upload):
    response = httpx.get(f"{engine_url}/files")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_expiring_files_report_expires_at(engine_url, engine_key):
    response = httpx.post(
        f"{engine_url}/files",
        headers={"Authorization": f"Bearer {engine_key}"},
        files={"file": ("e.txt", io.BytesIO(b"e"))},
        data={
            "purpose": "assistants",
            "expires_after[anchor]": "created_at",
            "expires_after[seconds]": "3600",
        },
    )
    created = response.json()
    assert created["expires_at"] - created["created_at"] == 3600
