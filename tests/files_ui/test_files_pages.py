"""The Files page (views/files.py): list, upload with the limits, download, delete; from the
uploader (owner), a teammate, an outsider and an administrator."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assistants_app.models import Connection, FileRecord, ThreadFile, ThreadRecord
from assistants_app.services import NotFoundError

from .conftest import assert_may_not_delete, upload_file

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def send_files(client, *files, purpose: str = "assistants"):
    """POST the Files page's upload form."""
    return client.post(reverse("file_upload"), {"files": list(files), "purpose": purpose})


def refused_upload(client, person, *files) -> str:
    """The Files page after `person`'s upload of `files` was refused (422)."""
    client.force_login(person)
    response = send_files(client, *files)
    assert response.status_code == 422
    return response.content.decode()


def test_upload_lists_who_uploaded_what(client, owner, teammate, api):
    client.force_login(owner)
    response = client.post(
        reverse("file_upload"),
        {
            "files": [upload_file("notes.txt", b"hello world"), upload_file("data.csv", b"a,b\n")],
            "purpose": "assistants",
        },
        follow=True,
    )
    assert response.redirect_chain == [(reverse("file_list"), 302)]
    page = response.content.decode()
    assert "Uploaded notes.txt, data.csv." in page
    records = {r.filename: r for r in FileRecord.objects.all()}
    assert set(records) == {"notes.txt", "data.csv"}
    assert all(r.uploaded_by == owner and r.thread is None for r in records.values())
    stored = api.files.retrieve(records["notes.txt"].file_id)
    assert (stored.filename, stored.bytes, stored.purpose) == ("notes.txt", 11, "assistants")
    row = page.split(f'id="file-{stored.id}"')[1].split("</tr>")[0]
    assert "11\N{NO-BREAK SPACE}bytes" in row and "assistants" in row and "olivia" in row
    assert "Team library" in row and "Delete" in row

    client.force_login(teammate)  # the library is the team's: seen, not deletable
    row = client.get(reverse("file_list")).content.decode().split(f'id="file-{stored.id}"')[1]
    assert "olivia" in row.split("</tr>")[0] and "Delete" not in row.split("</tr>")[0]


def test_upload_without_a_file_says_so(client, owner, engine):
    client.force_login(owner)
    response = client.post(reverse("file_upload"), {"purpose": "assistants"})
    assert response.status_code == 422
    assert "Choose at least one file." in response.content.decode()


def test_size_limit_is_checked_before_sending(client, owner, api, settings):
    settings.DASHBOARD_FILE_MAX_BYTES = 10
    page = refused_upload(client, owner, upload_file("big.txt", b"x" * 20))
    nbsp = "\N{NO-BREAK SPACE}"  # filesizeformat keeps a size on one line
    assert f"Too large: big.txt (20{nbsp}bytes). Files may be at most 10{nbsp}bytes each." in page
    assert 'data-max-bytes="10"' in page  # the drop zone checks the same limit
    assert api.files.list().data == []


def test_too_many_files_at_once(client, owner, api, settings):
    settings.DASHBOARD_FILES_PER_UPLOAD = 2
    files = [upload_file(f"{n}.txt", b"x") for n in range(3)]
    page = refused_upload(client, owner, *files)
    assert "3 files chosen: at most 2 at a time." in page
    assert api.files.list().data == []


def test_the_backends_refusal_is_shown(client, owner, engine, settings):
    settings.ENGINE_FILE_MAX_BYTES = 5
    page = refused_upload(client, owner, upload_file("big.txt", b"x" * 20))
    assert "big.txt was not uploaded." in page
    assert "larger than this server accepts" in page
    assert not FileRecord.objects.exists()


def test_unknown_purpose_is_refused(client, owner, engine):
    client.force_login(owner)
    response = send_files(client, upload_file("a.txt", b"x"), purpose="homework")
    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_library_files_download_for_every_member(request, client, library_file, who):
    record = library_file("notes.txt", b"the notes")
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("file_content", args=[record.file_id]))
    assert response.status_code == 200
    assert _body(response) == b"the notes"
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Content-Length"] == "9"


def test_images_show_inline_and_html_downloads(client, owner, library_file):
    image = library_file("plot.png", PNG)
    page = library_file("page.html", b"<script>alert(1)</script>")
    client.force_login(owner)
    shown = client.get(reverse("file_content", args=[image.file_id]))
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"] == 'inline; filename="plot.png"'
    assert _body(shown) == PNG
    html = client.get(reverse("file_content", args=[page.file_id]))
    assert html["Content-Disposition"] == 'attachment; filename="page.html"'
    assert html["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def attachment(api, owner, teammate, make_thread):
    """A file attached in owner's thread, shared read-only with the team."""
    from assistants_app.files import upload

    assistant = api.assistants.create(model="demo", name="Helper")
    thread = make_thread(owner, assistant, title="Private plans")
    record = upload(
        api, thread.connection, owner, upload_file("plans.txt", b"secret"), thread=thread
    )
    return thread, record


def test_a_chats_files_are_as_private_as_the_chat(client, owner, teammate, outsider, attachment):
    thread, record = attachment
    url = reverse("file_content", args=[record.file_id])
    client.force_login(owner)
    assert _body(client.get(url)) == b"secret"
    page = client.get(reverse("file_list")).content.decode()
    assert "plans.txt" in page and "Private plans" in page
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert "plans.txt" not in client.get(reverse("file_list")).content.decode()
    assert client.get(reverse("thread_file", args=[thread.pk, record.file_id])).status_code == 404
    thread.sharing = ThreadRecord.Sharing.TEAM_READ
    thread.save()
    client.force_login(teammate)
    assert _body(client.get(url)) == b"secret"
    assert _body(client.get(reverse("thread_file", args=[thread.pk, record.file_id]))) == b"secret"
    assert client.get(reverse("file_delete", args=[record.file_id])).status_code == 403


def test_files_made_elsewhere_are_for_administrators(client, owner, admin_user, api):
    made = api.files.create(file=("elsewhere.txt", b"x"), purpose="assistants")
    client.force_login(owner)
    assert "elsewhere.txt" not in client.get(reverse("file_list")).content.decode()
    assert client.get(reverse("file_content", args=[made.id])).status_code == 404
    client.force_login(admin_user)
    page = client.get(reverse("file_list")).content.decode()
    assert "elsewhere.txt" in page and "outside the dashboard" in page
    assert client.get(reverse("file_content", args=[made.id])).status_code == 200


def test_the_staff_tick_box_is_not_the_administrator_role(client, teammate, library_file, api):
    # Someone made "staff" in the admin without the Administrators role reads and deletes only
    # what any member may: the role's permission decides, not the flag.
    record = library_file()
    made = api.files.create(file=("elsewhere.txt", b"x"), purpose="assistants")
    teammate.is_staff = True
    teammate.save(update_fields=["is_staff"])
    client.force_login(teammate)
    assert client.get(reverse("file_content", args=[made.id])).status_code == 404
    assert client.post(reverse("file_delete", args=[record.file_id])).status_code == 403


def test_a_thread_download_needs_the_file_to_be_the_threads(
    client, owner, library_file, api, make_thread
):
    record = library_file()
    thread = make_thread(owner, api.assistants.create(model="demo"))
    client.force_login(owner)
    url = reverse("thread_file", args=[thread.pk, record.file_id])
    assert client.get(url).status_code == 404
    ThreadFile.note(thread, {record.file_id: "notes.txt"})
    assert client.get(url).status_code == 200


def test_owner_deletes_after_confirming(client, owner, library_file, api):
    record = library_file("old.txt", b"old")
    client.force_login(owner)
    url = reverse("file_delete", args=[record.file_id])
    confirm = client.get(url).content.decode()
    assert "Delete old.txt?" in confirm and "cannot be undone" in confirm
    assert api.files.retrieve(record.file_id)  # asking changed nothing
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("file_list"), 302)]
    assert "Deleted old.txt." in response.content.decode()
    with pytest.raises(NotFoundError):
        api.files.retrieve(record.file_id)
    assert not FileRecord.objects.exists()


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_others_may_not_delete_a_library_file(request, client, library_file, api, who):
    record = library_file()
    url = reverse("file_delete", args=[record.file_id])
    assert_may_not_delete(client, request.getfixturevalue(who), url)
    assert api.files.retrieve(record.file_id).id == record.file_id


def test_an_administrator_may_delete_any_file(client, admin_user, library_file, api):
    record = library_file()
    made = api.files.create(file=("elsewhere.txt", b"x"), purpose="assistants")
    client.force_login(admin_user)
    for file_id in (record.file_id, made.id):
        assert client.post(reverse("file_delete", args=[file_id])).status_code == 302
        with pytest.raises(NotFoundError):
            api.files.retrieve(file_id)


def test_a_file_gone_from_the_backend(client, owner, library_file, api):
    record = library_file()
    api.files.delete(record.file_id)
    client.force_login(owner)
    assert client.get(reverse("file_content", args=[record.file_id])).status_code == 404
    assert client.get(reverse("file_delete", args=[record.file_id])).status_code == 404
    assert not FileRecord.objects.exists()  # forgotten


def test_filter_by_purpose(client, owner, library_file, api):
    library_file("notes.txt")
    from assistants_app.files import upload

    upload(
        api,
        Connection.objects.default(),
        owner,
        upload_file("eye.png", PNG, "image/png"),
        purpose="vision",
    )
    client.force_login(owner)
    page = client.get(reverse("file_list"), {"purpose": "vision"}).content.decode()
    assert "eye.png" in page and "notes.txt" not in page


def test_empty_state(client, outsider, engine):
    client.force_login(outsider)
    page = client.get(reverse("file_list")).content.decode()
    assert "No files yet" in page
    assert 'enctype="multipart/form-data"' in page and "data-dropzone" in page


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_every_member_may_upload_to_the_library(request, client, api, who):
    person = request.getfixturevalue(who)
    client.force_login(person)
    response = send_files(client, upload_file("mine.txt", b"m"), purpose="user_data")
    assert response.status_code == 302
    record = FileRecord.objects.get()
    assert (record.uploaded_by, record.thread, record.purpose) == (person, None, "user_data")
    assert api.files.retrieve(record.file_id).purpose == "user_data"
