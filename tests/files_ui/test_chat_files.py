"""Files in the chat pane: attachments from the composer, code interpreter steps (code, logs,
images) inline, file_path links, citations as file names linking to the file; every file of a
chat readable exactly by those who may open the chat."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assistants_app.models import FileRecord, ThreadFile, ThreadRecord
from engine.files import sandbox
from tests.dashboard.support import HTMX, poll, stopped
from tests.support import WEATHER_TOOL, wait_until

from .conftest import upload_file

pytestmark = pytest.mark.django_db(transaction=True)

PLOT = """Please plot my data.

```python
import csv
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open("sales.csv")))
print("months:", len(rows))
plt.bar([r["month"] for r in rows], [int(r["total"]) for r in rows])
open("summary.txt", "w").write("best: Feb")
```
"""
CSV = b"month,total\nJan,10\nFeb,30\nMar,20\n"


@pytest.fixture(autouse=True)
def _sandbox():
    sandbox.forget_probe()


def send(client, thread, text: str, files=(), tool: str = "both", **extra):
    data = {"content": text, "attachment_tool": tool, **extra}
    if files:
        data["attachments"] = list(files)
    return client.post(reverse("thread_send", args=[thread.pk]), data)


def finish(client, thread) -> str:
    """Wait for the thread's run to end; the conversation as the status poll shows it."""
    run_id = thread.runs.first().run_id
    return poll(client, thread, run_id, until=stopped).content.decode()


def thread_file_url(thread, file_id: str) -> str:
    return reverse("thread_file", args=[thread.pk, file_id])


def wait_for_store(api, store_id: str) -> None:
    wait_until(
        lambda: not api.vector_stores.retrieve(store_id).file_counts.in_progress,
        message="the store's files to be read",
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def coder(api):
    return api.assistants.create(model="demo", name="Coder", tools=[{"type": "code_interpreter"}])


def test_attachments_are_sent_with_the_chosen_tool(client, owner, api, coder, make_thread):
    thread = make_thread(owner, coder)
    client.force_login(owner)
    response = send(
        client, thread, "Here is my data", [upload_file("sales.csv", CSV)], tool="code_interpreter"
    )
    assert response.status_code == 302
    (message,) = [m for m in api.threads.messages.list(thread.thread_id).data if m.role == "user"]
    (attachment,) = message.attachments
    assert [t.type for t in attachment.tools] == ["code_interpreter"]
    record = FileRecord.objects.get(file_id=attachment.file_id)
    assert (record.filename, record.thread, record.uploaded_by) == ("sales.csv", thread, owner)
    finish(client, thread)
    page = client.get(thread.get_absolute_url()).content.decode()
    link = f'href="{thread_file_url(thread, attachment.file_id)}" download>sales.csv</a>'
    assert link in page and "for code interpreter" in page
    assert body(client.get(thread_file_url(thread, attachment.file_id))) == CSV


def test_both_tools_by_default(client, owner, api, coder, make_thread):
    thread = make_thread(owner, coder)
    client.force_login(owner)
    send(client, thread, "Notes", [upload_file("notes.txt", b"n")], tool="")
    # The first message is the one sent (the newest may already be the answer).
    first = api.threads.messages.list(thread.thread_id, order="asc").data[0]
    (attachment,) = first.attachments
    assert [t.type for t in attachment.tools] == ["code_interpreter", "file_search"]


@pytest.mark.parametrize("sharing,status", [("private", 404), ("team_read", 200)])
def test_attachments_are_as_private_as_the_chat(
    client, owner, teammate, outsider, api, coder, make_thread, sharing, status
):
    thread = make_thread(owner, coder, sharing=sharing)
    client.force_login(owner)
    send(client, thread, "Keep this", [upload_file("diary.txt", b"dear diary")])
    file_id = FileRecord.objects.get().file_id
    finish(client, thread)
    client.get(thread.get_absolute_url())
    for person in (teammate, outsider):
        client.force_login(person)
        assert client.get(thread_file_url(thread, file_id)).status_code == status
        assert client.get(reverse("file_content", args=[file_id])).status_code == status
    # Nobody but the chat's owner may attach files to it.
    assert send(client, thread, "mine now", [upload_file("x.txt", b"x")]).status_code == 404
    assert FileRecord.objects.count() == 1


def test_a_failed_upload_keeps_the_message(client, owner, api, coder, make_thread, settings):
    settings.ENGINE_FILE_MAX_BYTES = 3
    thread = make_thread(owner, coder)
    client.force_login(owner)
    response = send(client, thread, "Look at this", [upload_file("big.txt", b"x" * 10)], **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Your message was not sent." in page and "larger than this server accepts" in page
    assert "\nLook at this</textarea>" in page  # the composer widget starts with a new line
    assert api.threads.messages.list(thread.thread_id).data == []


def test_uploaded_files_are_not_sent_twice_after_a_failure(client, owner, api, make_thread):
    from tests.dashboard.support import waiting_for_outputs

    weather = api.assistants.create(model="demo", name="Weather", tools=[WEATHER_TOOL])
    thread = make_thread(owner, weather)
    client.force_login(owner)
    send(client, thread, "get_weather city=Oslo")
    run_id = thread.runs.first().run_id
    poll(client, thread, run_id, until=waiting_for_outputs)
    # The run waits for tool outputs, so the backend refuses a new message: the file went up,
    # the message did not, and the file comes back ticked, as an id.
    refused = send(client, thread, "and this", [upload_file("a.txt", b"a")])
    assert refused.status_code == 422
    file_id = FileRecord.objects.get().file_id
    page = refused.content.decode()
    assert "Your message was not sent." in page
    assert f'name="attachment_ids" value="{file_id}" checked> a.txt (uploaded already)' in page
    client.post(reverse("run_cancel", args=[thread.pk, run_id]))
    poll(client, thread, run_id, until=stopped)
    again = send(client, thread, "and this", attachment_ids=[file_id])
    assert again.status_code == 302
    newest = next(m for m in api.threads.messages.list(thread.thread_id).data if m.role == "user")
    assert [a.file_id for a in newest.attachments] == [file_id]
    assert FileRecord.objects.count() == 1 and len(api.files.list().data) == 1


def test_code_interpreter_steps_images_and_files_in_the_chat(
    client, owner, outsider, api, coder, make_thread
):
    thread = make_thread(owner, coder)
    client.force_login(owner)
    send(client, thread, PLOT, [upload_file("sales.csv", CSV)], tool="code_interpreter")
    page = finish(client, thread)
    # The step: its code (highlighted), its logs, its figure, before the answer.
    step = page.split('class="code-step"')[1].split("</details>")[0]
    assert "Code interpreter" in step
    assert "DictReader" in step and '<span class="kn">import</span>' in step
    assert "months: 3" in step.split('class="code logs"')[1]
    messages = api.threads.messages.list(thread.thread_id).data
    answer = messages[0]
    image_id = answer.content[1].image_file.file_id
    image_url = thread_file_url(thread, image_id)
    assert page.count(f'<img src="{image_url}"') == 1  # in the answer, not twice
    image = client.get(image_url)
    assert image["Content-Type"] == "image/png" and body(image).startswith(b"\x89PNG")
    assert FileRecord.objects.get(file_id=image_id).thread == thread  # the chat's own output

    summary_id = answer.content[0].text.annotations[0].file_path.file_id
    summary_url = thread_file_url(thread, summary_id)
    assert f'<a href="{summary_url}"' in page  # the sandbox: link points at the dashboard
    assert "sandbox:" not in page.split('class="turn assistant"')[1]
    assert body(client.get(summary_url)) == b"best: Feb"
    # The Files page lists the chat's outputs, made by the code interpreter.
    listing = client.get(reverse("file_list")).content.decode()
    assert "summary.txt" in listing and "the code interpreter" in listing

    client.force_login(outsider)
    assert client.get(image_url).status_code == 404
    assert client.get(summary_url).status_code == 404
    assert "summary.txt" not in client.get(reverse("file_list")).content.decode()


def test_run_steps_inspector_shows_the_code_interpreter(client, owner, api, coder, make_thread):
    thread = make_thread(owner, coder)
    client.force_login(owner)
    send(client, thread, "```python\nprint(6 * 7)\n```")
    finish(client, thread)
    run_id = thread.runs.first().run_id
    steps = client.get(reverse("run_steps", args=[thread.pk, run_id]), **HTMX).content.decode()
    assert "Code interpreter" in steps and "42" in steps.split('class="code logs"')[1]


def test_citations_are_file_names_linking_to_the_file(
    client, owner, teammate, outsider, api, library_file, make_thread
):
    from tests.files_ui.test_vector_stores_pages import WARRANTY

    warranty = library_file("warranty.txt", WARRANTY)
    store = api.vector_stores.create(name="Manuals", file_ids=[warranty.file_id])
    wait_for_store(api, store.id)
    helper = api.assistants.create(
        model="demo",
        name="Helper",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    thread = make_thread(owner, helper)
    client.force_login(owner)
    send(client, thread, "How long is the warranty?")
    page = finish(client, thread)
    url = thread_file_url(thread, warranty.file_id)
    reply = page.split('class="turn assistant"')[1]
    assert f'<a class="file-link" href="{url}">warranty.txt</a>' in reply
    assert "【" not in reply  # the marker became the link
    assert "Searched the files: 1 result" in reply
    assert "Sources" in reply
    assert ThreadFile.objects.filter(thread=thread, file_id=warranty.file_id).exists()

    assert body(client.get(url)) == WARRANTY
    for person in (teammate, outsider):  # a private chat: its links lead nowhere for others
        client.force_login(person)
        assert client.get(url).status_code == 404
    thread.sharing = ThreadRecord.Sharing.TEAM_READ
    thread.save()
    client.force_login(teammate)  # shared read-only with the team: the cited file opens
    assert body(client.get(url)) == WARRANTY


def test_deleting_a_chat_deletes_its_files(client, owner, api, coder, make_thread, library_file):
    from assistants_app.services import NotFoundError

    kept = library_file("library.txt", b"stays")
    thread = make_thread(owner, coder)
    client.force_login(owner)
    send(
        client,
        thread,
        "```python\nopen('out.txt','w').write('x')\n```",
        [upload_file("in.txt", b"i")],
    )
    finish(client, thread)
    client.get(thread.get_absolute_url())  # the chat's output is noted as it is shown
    own = list(thread.files.values_list("filename", "file_id"))
    assert sorted(name for name, _ in own) == ["in.txt", "out.txt"]
    page = client.get(reverse("thread_delete", args=[thread.pk])).content.decode()
    assert "with the files attached to it or made in it" in page
    client.post(reverse("thread_delete", args=[thread.pk]))
    for _, file_id in own:
        with pytest.raises(NotFoundError):
            api.files.retrieve(file_id)
    assert api.files.retrieve(kept.file_id).id == kept.file_id
    assert list(FileRecord.objects.values_list("file_id", flat=True)) == [kept.file_id]
