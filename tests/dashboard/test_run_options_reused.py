"""A run the dashboard starts again (views/threads.py: regenerate, edit and resend;
views/runs.py: "Try again") keeps the options of the thread's last run, and a new chat's first
run keeps those of its composer: checked on the run record, on the run as the engine reports
it, and on what the engine asked the model (the fake chat server's requests)."""

import json

import pytest
from django.urls import reverse

from assistants_app.models import RunRecord, ThreadRecord
from assistants_app.services import AssistantsClient
from tests.fakes.chat_server import FakeChatServer

from .support import HTMX, poll, send, stopped

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = {**HTMX, "HTTP_ACCEPT": "text/event-stream"}

# The composer's "Advanced options", as posted; the model is the fake chat server's, so a run
# that lost the override would be answered by the assistant's own model (the demo) instead.
POSTED = {
    "model": "fake-model",
    "temperature": "0.3",
    "additional_instructions": "Mention the fjords.",
    "tool_choice": "none",
}
OPTIONS = {
    "model": "fake-model",
    "temperature": 0.3,
    "additional_instructions": "Mention the fjords.",
    "tool_choice": "none",
}


@pytest.fixture
def first_turn(client, owner, api, make_thread, chat_model, chat_server):
    """A thread of the owner's whose one run, started with OPTIONS, has answered."""
    thread = make_thread(owner)
    client.force_login(owner)
    send(client, thread, "Hello there", **POSTED)
    record = finished(client, thread)
    assert_started_with_options(api, thread, record, chat_server)
    return thread, record


def finished(client, thread) -> RunRecord:
    """Wait for the thread's latest run to end; its record."""
    record = thread.runs.first()
    poll(client, thread, record.run_id, until=stopped)
    record.refresh_from_db()
    return record


def assert_started_with_options(
    api: AssistantsClient, thread: ThreadRecord, record: RunRecord, chat_server: FakeChatServer
) -> None:
    """`record`'s run ran with OPTIONS: as recorded, as the engine reports the run, and as
    the engine asked the model for its answer."""
    assert record.status == "completed"
    assert record.options == OPTIONS
    run = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    assert (run.model, run.temperature, run.tool_choice) == ("fake-model", 0.3, "none")
    assert run.instructions == ""  # the assistant's own; the additional ones come on top
    asked = chat_server.chat_requests[-1].body
    assert asked["model"] == "fake-model" and asked["temperature"] == 0.3
    assert asked["tool_choice"] == "none"
    assert asked["messages"][0] == {"role": "system", "content": "Mention the fjords."}


def new_run(thread: ThreadRecord, first: RunRecord) -> RunRecord:
    return thread.runs.exclude(pk=first.pk).get()


@pytest.mark.parametrize("how", [{}, HTMX, STREAM], ids=["plain", "htmx", "stream"])
def test_regenerate_keeps_the_last_runs_options(client, first_turn, api, chat_server, how):
    thread, first = first_turn
    response = client.post(reverse("thread_regenerate", args=[thread.pk]), **how)
    assert response.status_code == (200 if how else 302)
    if how is STREAM:
        b"".join(response.streaming_content)  # the run is recorded as it streams
    second = finished(client, thread)
    assert second == new_run(thread, first)
    assert_started_with_options(api, thread, second, chat_server)
    assert len(chat_server.chat_requests) == 2  # the model answered twice, once a run
    messages = api.threads.messages.list(thread.thread_id, order="asc").data
    assert [m.role for m in messages] == ["user", "assistant", "assistant"]
    assert messages[-1].text == "Echo: Hello there" and messages[-1].run_id == second.run_id


@pytest.mark.parametrize("how", [{}, HTMX, STREAM], ids=["plain", "htmx", "stream"])
def test_edit_and_resend_keeps_the_last_runs_options(client, first_turn, api, chat_server, how):
    thread, first = first_turn
    mine = api.threads.messages.list(thread.thread_id, order="asc").data[0]
    url = reverse("message_edit", args=[thread.pk, mine.id])
    response = client.post(url, {"content": "Hello again, edited"}, **how)
    assert response.status_code == (200 if how else 302)
    if how is STREAM:
        b"".join(response.streaming_content)
    second = finished(client, thread)
    assert second == new_run(thread, first)
    assert_started_with_options(api, thread, second, chat_server)
    assert chat_server.chat_requests[-1].body["messages"][-1] == {
        "role": "user",
        "content": "Hello again, edited",
    }
    messages = api.threads.messages.list(thread.thread_id, order="asc").data
    assert messages[-2].metadata["edit_of"] == mine.id
    assert messages[-1].text == "Echo: Hello again, edited"


@pytest.mark.parametrize("how", [{}, HTMX], ids=["plain", "htmx"])
def test_try_again_keeps_the_last_runs_options(client, first_turn, api, chat_server, how):
    thread, first = first_turn
    response = client.post(reverse("run_retry", args=[thread.pk]), **how)
    assert response.status_code == (200 if how else 302)
    second = finished(client, thread)
    assert second == new_run(thread, first)
    assert_started_with_options(api, thread, second, chat_server)
    assert len(chat_server.chat_requests) == 2


def test_a_run_without_options_is_regenerated_without_any(
    client, owner, make_thread, api, chat_model
):
    """The options come from the last run only: none there, none on the new one (the
    assistant's own model and settings)."""
    thread = make_thread(owner)
    client.force_login(owner)
    send(client, thread, "Hello there", **POSTED)
    finished(client, thread)
    send(client, thread, "And plainly?")
    plain = finished(client, thread)
    assert plain.options == {}
    client.post(reverse("thread_regenerate", args=[thread.pk]))
    again = finished(client, thread)
    assert again != plain and again.options == {}
    run = api.threads.runs.retrieve(again.run_id, thread_id=thread.thread_id)
    assert (run.model, run.temperature, run.tool_choice) == ("demo", 1.0, "auto")


@pytest.mark.parametrize("how", [{}, STREAM], ids=["plain", "stream"])
def test_a_new_chat_records_its_metadata_and_its_first_runs_options(
    client, owner, api, weather_assistant, chat_model, chat_server, how
):
    client.force_login(owner)
    data = {"assistant_id": weather_assistant.id, "content": "Hello there", **POSTED}
    response = client.post(reverse("thread_create"), data, **how)
    if how is STREAM:
        body = b"".join(response.streaming_content).decode()
        first_event = json.loads(body.split("data: ", 1)[1].split("\n", 1)[0])
        assert first_event["url"] == ThreadRecord.objects.get().get_absolute_url()
    else:
        assert response.status_code == 302
    thread = ThreadRecord.objects.get()
    assert (thread.owner, thread.assistant_id, thread.trial) == (owner, weather_assistant.id, False)
    assert thread.assistant_name == "Weather helper"
    # Who made it, and nothing marking it a test chat of the builder.
    assert api.threads.retrieve(thread.thread_id).metadata == {"created_by": owner.username}
    message = api.threads.messages.list(thread.thread_id, order="asc").data[0]
    assert message.metadata == {"sent_by": owner.username}
    record = finished(client, thread)
    assert record.started_by == owner
    assert_started_with_options(api, thread, record, chat_server)
