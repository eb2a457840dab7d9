"""Files in the assistant builder (assistant_files.py): uploads for the code interpreter and
file search wired into tool_resources, the limits, round trips, and ids posted back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assistants_app.models import Connection, FileRecord, VectorStoreRecord
from tests.dashboard.support import builder_data, create_assistant, created_id

from .conftest import upload_file

pytestmark = pytest.mark.django_db(transaction=True)


def _resources(api, assistant_id: str):
    resources = api.assistants.retrieve(assistant_id).tool_resources
    code = resources.code_interpreter if resources else None
    search = resources.file_search if resources else None
    return (code.file_ids if code else []), (search.vector_store_ids if search else [])


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_create_with_files_for_both_tools(request, client, api, who):
    person = request.getfixturevalue(who)
    client.force_login(person)
    response = create_assistant(
        client,
        name="Analyst",
        code_interpreter="on",
        file_search="on",
        **{
            "files-code_upload": [
                upload_file("sales.csv", b"month,total\nJan,1\n"),
                upload_file("costs.csv", b"month,total\nJan,2\n"),
            ],
            "files-search_upload": [upload_file("policy.md", b"# Policy\n\nBe kind.")],
        },
    )
    assistant_id = created_id(response)
    code_ids, store_ids = _resources(api, assistant_id)
    names = dict(FileRecord.objects.values_list("file_id", "filename"))
    assert sorted(names[i] for i in code_ids) == ["costs.csv", "sales.csv"]
    (store_id,) = store_ids
    store = api.vector_stores.retrieve(store_id)
    assert store.name == "Analyst files" and store.file_counts.total == 1
    assert VectorStoreRecord.objects.get(vector_store_id=store_id).created_by == person
    assert all(r.uploaded_by == person and r.thread is None for r in FileRecord.objects.all())

    page = client.get(response["Location"]).content.decode()
    assert "sales.csv" in page and "costs.csv" in page
    assert "18 more can be added" in page
    assert f'<option value="{store_id}" selected>Analyst files (1 files)</option>' in page
    assert 'enctype="multipart/form-data"' in page


def test_limits_are_checked_before_anything_is_sent(client, owner, api, settings):
    settings.DASHBOARD_FILE_MAX_BYTES = 10
    client.force_login(owner)
    response = create_assistant(
        client,
        name="Big",
        code_interpreter="on",
        **{"files-code_upload": [upload_file("big.csv", b"x" * 11)]},
    )
    assert response.status_code == 422
    assert "Too large: big.csv (11\N{NO-BREAK SPACE}bytes)" in response.content.decode()
    assert api.files.list().data == [] and api.assistants.list().data == []


def test_at_most_twenty_files_for_the_code_interpreter(client, owner, api, library_file):
    have = [library_file(f"{n}.csv", b"x").file_id for n in range(19)]
    assistant = api.assistants.create(
        model="demo",
        tools=[{"type": "code_interpreter"}],
        tool_resources={"code_interpreter": {"file_ids": have}},
    )
    client.force_login(owner)
    url = reverse("assistant_edit", args=[assistant.id])
    page = client.get(url).content.decode()
    assert "1 more can be added" in page and 'data-max-files="1"' in page
    data = builder_data(
        code_interpreter="on",
        **{
            "files-code_ids": have,
            "files-code_upload": [upload_file("a.csv", b"1"), upload_file("b.csv", b"2")],
        },
    )
    response = client.post(url, data)
    assert response.status_code == 422
    assert (
        "The code interpreter takes at most 20 files: 19 are chosen already and 2 more were "
        "added. Remove some first."
    ) in response.content.decode()
    assert len(api.files.list().data) == 19  # nothing uploaded
    assert _resources(api, assistant.id)[0] == have

    # Removing one makes room for both.
    data["files-code_remove"] = [have[0]]
    data["files-code_upload"] = [upload_file("a.csv", b"1"), upload_file("b.csv", b"2")]
    assert client.post(url, data).status_code == 302
    code_ids = _resources(api, assistant.id)[0]
    assert len(code_ids) == 20 and have[0] not in code_ids


def test_uploads_survive_a_round_trip(client, owner, api):
    """Adding a function (or a save with errors) re-renders the form: the files chosen are
    uploaded then and come back as ids, not lost and not uploaded twice."""
    client.force_login(owner)
    response = create_assistant(
        client,
        action="add_function",
        code_interpreter="on",
        **{
            "files-code_upload": [upload_file("sales.csv", b"a,b\n")],
            "files-search_upload": [upload_file("faq.md", b"# FAQ")],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    sales = FileRecord.objects.get(filename="sales.csv").file_id
    faq = FileRecord.objects.get(filename="faq.md").file_id
    assert f'name="files-code_ids" value="{sales}"' in page
    assert f'name="files-pending_ids" value="{faq}"' in page
    assert "Uploaded, added to the store when you save" in page
    assert api.vector_stores.list().data == []  # the store waits for the save

    invalid = builder_data(
        model="", code_interpreter="on", **{"files-code_ids": [sales], "files-pending_ids": [faq]}
    )
    again = client.post(reverse("assistant_create"), invalid)
    assert again.status_code == 422
    assert f'name="files-code_ids" value="{sales}"' in again.content.decode()

    saved = create_assistant(
        client, code_interpreter="on", **{"files-code_ids": [sales], "files-pending_ids": [faq]}
    )
    assistant_id = created_id(saved)
    code_ids, (store_id,) = _resources(api, assistant_id)
    assert code_ids == [sales]
    assert [f.id for f in api.vector_stores.files.list(store_id).data] == [faq]
    assert FileRecord.objects.count() == 2


def test_an_existing_store_and_library_files_can_be_chosen(client, owner, api, library_file):
    notes = library_file("notes.txt", b"notes")
    store = api.vector_stores.create(name="Team KB")
    VectorStoreRecord.objects.create(
        connection=Connection.objects.default(), vector_store_id=store.id, name="Team KB"
    )
    client.force_login(owner)
    page = client.get(reverse("assistant_create")).content.decode()
    assert "Team KB (0 files)" in page and "notes.txt" in page
    response = create_assistant(
        client,
        file_search="on",
        **{"files-search_store": store.id, "files-search_pick": [notes.file_id]},
    )
    assistant_id = created_id(response)
    assert _resources(api, assistant_id) == ([], [store.id])
    assert [f.id for f in api.vector_stores.files.list(store.id).data] == [notes.file_id]


def test_no_store_clears_file_search(client, owner, api):
    store = api.vector_stores.create(name="Old")
    assistant = api.assistants.create(
        model="demo",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    client.force_login(owner)
    url = reverse("assistant_edit", args=[assistant.id])
    page = client.get(url).content.decode()
    assert f'<option value="{store.id}" selected>' in page  # current, even if made elsewhere
    assert client.post(url, builder_data(**{"files-search_store": ""})).status_code == 302
    assert _resources(api, assistant.id) == ([], [])


def test_ids_posted_back_must_be_readable(client, owner, outsider, api, make_thread):
    """A chat's private attachment cannot be slipped into a shared assistant by its id."""
    from assistants_app.files import upload

    assistant = api.assistants.create(model="demo")
    thread = make_thread(owner, assistant)
    private = upload(api, thread.connection, owner, upload_file("diary.txt", b"x"), thread=thread)
    client.force_login(outsider)
    response = client.post(
        reverse("assistant_edit", args=[assistant.id]),
        builder_data(
            code_interpreter="on",
            **{
                "files-code_ids": [private.file_id, "../../etc"],
                "files-pending_ids": [private.file_id],
            },
        ),
    )
    assert response.status_code == 302
    assert _resources(api, assistant.id) == ([], [])
    assert api.vector_stores.list().data == []
