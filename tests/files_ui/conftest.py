"""The dashboard's files pages against the built-in engine over real HTTP (live server and the
engine's worker): uploads land in a temporary MEDIA_ROOT, the sandbox's folders in a temporary
directory shared by the session."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(autouse=True)
def _file_storage(isolated_file_storage):
    pass


def upload_file(name: str, data: bytes, content_type: str = "text/plain") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def assert_may_not_delete(client, person, url: str) -> None:
    """`person` is refused (403) both the delete confirmation and the delete."""
    client.force_login(person)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403


@pytest.fixture
def library_file(api, owner):
    """make(name, data, user=owner) -> a FileRecord in the team library (uploaded for real)."""
    from assistants_app.files import upload
    from assistants_app.models import Connection

    def make(name: str = "notes.txt", data: bytes = b"some notes", user=None):
        connection = Connection.objects.default()
        return upload(api, connection, user or owner, upload_file(name, data))

    return make
