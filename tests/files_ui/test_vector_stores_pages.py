"""The Vector stores pages (views/vector_stores.py): create, ingestion progress (polled),
search, add and remove files, delete; from the creator (owner), a teammate, an outsider and an
administrator."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assistants_app.models import FileRecord, VectorStoreRecord
from assistants_app.services import NotFoundError
from tests.support import wait_until

from .conftest import assert_may_not_delete, upload_file

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}
WARRANTY = b"The blender warranty lasts two years and covers the motor."


def wait_until_read(client, store_id: str) -> str:
    """Poll the status fragment as htmx does until it stops asking to be polled."""
    url = reverse("vector_store_status", args=[store_id])
    seen = []

    def read():
        seen.append(client.get(url, **HTMX).content.decode())
        return seen[-1] if "hx-trigger" not in seen[-1] else None

    return wait_until(read, message=lambda: f"the files to be read: {seen[-1]}")


@pytest.fixture
def store(client, owner, api):
    """A store owner made on the page, with one file read."""
    client.force_login(owner)
    response = client.post(
        reverse("vector_store_create"),
        {"name": "Manuals", "files": [upload_file("warranty.txt", WARRANTY)]},
    )
    store_id = VectorStoreRecord.objects.get().vector_store_id
    assert response["Location"] == reverse("vector_store_detail", args=[store_id])
    wait_until_read(client, store_id)
    client.logout()
    return api.vector_stores.retrieve(store_id)


def test_create_from_new_and_existing_files(client, owner, api, library_file):
    old = library_file("faq.md", b"# FAQ\n\nReturns are accepted for 30 days.")
    client.force_login(owner)
    page = client.get(reverse("vector_store_create")).content.decode()
    assert "faq.md" in page  # offered from the team library
    response = client.post(
        reverse("vector_store_create"),
        {
            "name": "Support",
            "files": [upload_file("warranty.txt", WARRANTY)],
            "existing": [old.file_id],
        },
    )
    record = VectorStoreRecord.objects.get()
    assert (record.name, record.created_by) == ("Support", owner)
    stored = api.vector_stores.retrieve(record.vector_store_id)
    assert stored.name == "Support" and stored.file_counts.total == 2
    new = FileRecord.objects.get(filename="warranty.txt")
    assert new.uploaded_by == owner and new.thread is None  # into the library too
    detail = client.get(response["Location"]).content.decode()
    assert "warranty.txt" in detail and "faq.md" in detail
    done = wait_until_read(client, record.vector_store_id)
    assert "All 2 files read" in done and 'value="2"' in done
    assert "completed" in done


def test_status_polls_while_files_are_read_and_is_a_page_without_htmx(
    client, owner, live_server, settings, transactional_db
):
    from engine.worker import start_in_thread

    settings.ENGINE_BASE_URL = live_server.url + "/v1"  # no worker yet: nothing gets read
    client.force_login(owner)
    response = client.post(
        reverse("vector_store_create"),
        {"name": "Big", "files": [upload_file(f"{n}.txt", WARRANTY) for n in range(3)]},
    )
    store_id = VectorStoreRecord.objects.get().vector_store_id
    section = client.get(response["Location"]).content.decode().split('id="ingestion"')[1]
    assert 'hx-trigger="load delay:1000ms"' in section.split(">")[0]
    assert "Reading files: 0 of 3 done" in section and "Refresh" in section
    status = reverse("vector_store_status", args=[store_id])
    assert client.get(status)["Location"] == reverse("vector_store_detail", args=[store_id])
    worker, thread = start_in_thread(threads=2, poll=0.2)
    try:
        done = wait_until_read(client, store_id)
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert "All 3 files read" in done and "<html" not in done and "Refresh" not in done


def test_create_needs_a_name_and_checks_sizes(client, owner, api, settings):
    settings.DASHBOARD_FILE_MAX_BYTES = 10
    client.force_login(owner)
    response = client.post(
        reverse("vector_store_create"), {"name": "", "files": [upload_file("big.txt", b"x" * 11)]}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "This field is required." in page
    assert "Too large: big.txt (11\N{NO-BREAK SPACE}bytes)" in page
    assert api.vector_stores.list().data == [] and api.files.list().data == []


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_every_member_sees_and_searches_a_store(request, client, store, who):
    client.force_login(request.getfixturevalue(who))
    listing = client.get(reverse("vector_store_list")).content.decode()
    assert "Manuals" in listing and "1 of 1 ready" in listing and "olivia" in listing
    url = reverse("vector_store_detail", args=[store.id])
    page = client.get(url, {"q": "how long is the warranty"}).content.decode()
    results = page.split('id="search-results"')[1]
    assert "warranty.txt" in results and "The blender warranty lasts two years" in results
    assert "score 0." in results or "score 1.00" in results
    assert ("Delete…" in page) == (who == "owner")


def test_search_by_htmx_returns_only_the_results(client, owner, store):
    client.force_login(owner)
    url = reverse("vector_store_detail", args=[store.id])
    html = client.get(url, {"q": "motor", "max_num_results": 1}, **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="search-results"')
    assert "covers the motor" in html
    nothing = client.get(url, {"q": "volcano"}, **HTMX).content.decode()
    assert "Nothing found for “volcano”." in nothing
    empty = client.get(url, {"q": ""}, **HTMX).content.decode()
    assert "Type what to look for." in empty
    too_many = client.get(url, {"q": "motor", "max_num_results": 99}, **HTMX).content.decode()
    assert "less than or equal to 50" in too_many


def test_add_and_remove_files(client, teammate, store, api, library_file):
    extra = library_file("recipes.txt", b"A smoothie needs bananas and milk.")
    client.force_login(teammate)  # stores are the team's: a teammate may change the files
    url = reverse("vector_store_add_files", args=[store.id])
    response = client.post(
        url,
        {
            "files": [upload_file("care.txt", b"Clean the jug by hand.")],
            "existing": [extra.file_id],
        },
    )
    assert response["Location"] == reverse("vector_store_detail", args=[store.id])
    page = client.get(response["Location"]).content.decode()
    assert "Added 2 files: reading them now." in page
    wait_until_read(client, store.id)
    assert api.vector_stores.retrieve(store.id).file_counts.completed == 3

    remove = reverse("vector_store_remove_file", args=[store.id, extra.file_id])
    page = client.post(remove, follow=True).content.decode()
    assert "Removed the file from the store; it is still in Files." in page
    ids = {f.id for f in api.vector_stores.files.list(store.id).data}
    assert extra.file_id not in ids and len(ids) == 2
    assert api.files.retrieve(extra.file_id).id == extra.file_id  # the file itself stays


def test_adding_nothing_says_so(client, owner, store):
    client.force_login(owner)
    response = client.post(reverse("vector_store_add_files", args=[store.id]), {})
    assert response.status_code == 422
    assert "Choose files to upload, or files already uploaded." in response.content.decode()


def test_the_creator_deletes_after_confirming(client, owner, store, api):
    client.force_login(owner)
    url = reverse("vector_store_delete", args=[store.id])
    assert "Delete Manuals?" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "Deleted the vector store Manuals." in response.content.decode()
    with pytest.raises(NotFoundError):
        api.vector_stores.retrieve(store.id)
    assert not VectorStoreRecord.objects.exists()
    assert client.get(reverse("vector_store_detail", args=[store.id])).status_code == 404


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_others_may_not_delete_a_store(request, client, store, api, who):
    url = reverse("vector_store_delete", args=[store.id])
    assert_may_not_delete(client, request.getfixturevalue(who), url)
    assert api.vector_stores.retrieve(store.id).id == store.id


def test_stores_made_elsewhere_are_for_administrators(client, owner, admin_user, api):
    made = api.vector_stores.create(name="Attachments of some thread")
    client.force_login(owner)
    assert (
        "Attachments of some thread"
        not in client.get(reverse("vector_store_list")).content.decode()
    )
    assert client.get(reverse("vector_store_detail", args=[made.id])).status_code == 404
    client.force_login(admin_user)
    listing = client.get(reverse("vector_store_list")).content.decode()
    assert "Attachments of some thread" in listing and "outside the dashboard" in listing
    assert client.get(reverse("vector_store_detail", args=[made.id])).status_code == 200
    assert client.post(reverse("vector_store_delete", args=[made.id])).status_code == 302


def test_a_store_gone_from_the_backend_is_forgotten(client, owner, store, api):
    api.vector_stores.delete(store.id)
    client.force_login(owner)
    assert client.get(reverse("vector_store_detail", args=[store.id])).status_code == 404
    assert not VectorStoreRecord.objects.exists()


def test_a_backend_that_does_not_answer(client, owner, store, settings):
    settings.ENGINE_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens there
    client.force_login(owner)
    response = client.get(reverse("vector_store_detail", args=[store.id]))
    assert response.status_code == 502
    assert "Try again" in response.content.decode()
    listing = client.get(reverse("vector_store_list")).content.decode()
    assert "Could not list the vector stores" in listing


def test_empty_state(client, outsider, engine):
    client.force_login(outsider)
    page = client.get(reverse("vector_store_list")).content.decode()
    assert "No vector stores yet" in page


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_every_member_may_create_a_store(request, client, api, who):
    person = request.getfixturevalue(who)
    client.force_login(person)
    response = client.post(reverse("vector_store_create"), {"name": f"{who}'s notes"})
    record = VectorStoreRecord.objects.get()
    assert response["Location"] == reverse("vector_store_detail", args=[record.vector_store_id])
    assert record.created_by == person
    assert api.vector_stores.retrieve(record.vector_store_id).file_counts.total == 0
    page = client.get(response["Location"]).content.decode()
    assert "No files yet" in page and "Delete…" in page  # the creator may delete it
