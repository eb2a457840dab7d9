"""The admin pages for files and vector stores, and what goes away with a thread or a file."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from engine.files.models import File, VectorStore
from engine.files.tools import thread_workdir
from engine.models import Thread

PAGES = ["file", "vectorstore", "vectorstorefile", "filebatch", "chunk"]


@pytest.mark.parametrize("page", PAGES)
def test_admin_lists_for_staff_only(page, client, admin_user, owner, db):
    File.store(filename="a.txt", purpose="assistants", upload=ContentFile(b"a", name="a"))
    url = reverse(f"admin:engine_files_{page}_changelist")
    client.force_login(owner)
    assert client.get(url).status_code == 302  # not staff: to the admin login
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_admin_shows_a_file_read_only(client, admin_user, db):
    found = File.store(filename="b.txt", purpose="assistants", upload=ContentFile(b"b", name="b"))
    client.force_login(admin_user)
    page = client.get(reverse("admin:engine_files_file_change", args=[found.pk]))
    assert page.status_code == 200 and b"b.txt" in page.content
    assert b'name="_save"' not in page.content


def test_deleting_a_thread_removes_its_folder_and_attachment_store(openai_client):
    thread = openai_client.beta.threads.create()
    folder = thread_workdir(thread.id)
    folder.mkdir(parents=True)
    (folder / "left.txt").write_text("x")
    VectorStore.objects.create(name="attached", thread_id=thread.id)
    openai_client.beta.threads.delete(thread.id)
    assert not folder.parent.exists()
    assert not VectorStore.objects.filter(thread_id=thread.id).exists()
    assert not Thread.objects.filter(pk=thread.id).exists()


def test_deleting_a_file_deletes_its_bytes(upload, openai_client):
    created = upload("bytes.txt", b"gone soon")
    name = File.objects.get(pk=created.id).content.name
    assert default_storage.exists(name)
    openai_client.files.delete(created.id)
    assert not default_storage.exists(name)
