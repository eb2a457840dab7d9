"""Editing a message of one's own that had attachments: the edited text goes in with the same
files, each for the same tools, over the built-in engine."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from .support import poll, send, stopped

pytestmark = pytest.mark.django_db(transaction=True)


def answered(client, thread) -> None:
    poll(client, thread, thread.runs.first().run_id, until=stopped, timeout=30)


def user_messages(api, thread) -> list:
    return [
        m for m in api.threads.messages.list(thread.thread_id, order="asc").data if m.role == "user"
    ]


def attached(message) -> list[tuple[str, list[str]]]:
    return [
        (item.file_id, [tool.type for tool in item.tools]) for item in message.attachments or []
    ]


@pytest.mark.parametrize("tool", ["code_interpreter", ""])  # "": both tools
def test_the_edited_message_keeps_the_originals_attachments(client, owner, api, make_thread, tool):
    coder = api.assistants.create(model="demo", name="Coder", tools=[{"type": "code_interpreter"}])
    thread = make_thread(owner, coder)
    client.force_login(owner)
    files = [
        SimpleUploadedFile("sales.csv", b"month,total\nJan,10\n", content_type="text/csv"),
        SimpleUploadedFile("notes.txt", b"Sales rose in February.", content_type="text/plain"),
    ]
    send(client, thread, "Here is my data", attachments=files, attachment_tool=tool)
    answered(client, thread)
    (original,) = user_messages(api, thread)
    assert len(attached(original)) == 2 and all(tools for _, tools in attached(original))

    url = reverse("message_edit", args=[thread.pk, original.id])
    assert client.post(url, {"content": "Here is my data, edited"}).status_code == 302
    answered(client, thread)
    edited = user_messages(api, thread)[-1]
    assert edited.text == "Here is my data, edited" and edited.metadata["edit_of"] == original.id
    assert attached(edited) == attached(original)
