"""Streamed replies (views/stream.py, chat_stream.py): the composer's and the tool-call card's
POSTs answered with server-sent events when stream.js asks for them, over the real engine.

The Django test client is a WSGI client, so these drive the sync generator; the ASGI path
(async generator, AsyncAssistantsClient) is driven with Django's AsyncClient."""

import json

import pytest
from django.test import AsyncClient
from django.urls import reverse

from assistants_app.chat_stream import LiveReply, settled_end
from assistants_app.models import AuditEvent, RunRecord, ThreadRecord, ToolOutputSubmission
from assistants_app.services.types import MessageDeltaEvent, MessageEvent
from tests.support import run_async

from .support import HTMX, composer_tag, poll, stopped
from .test_chat_layout import WHO

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = {**HTMX, "HTTP_ACCEPT": "text/event-stream"}


def events(chunks) -> list[tuple[str, dict]]:
    """(name, data) of each SSE in `chunks` (bytes, as the response streams them)."""
    found = []
    for block in b"".join(chunks).decode().split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        found.append((lines["event"], json.loads(lines["data"])))
    return found


def post_stream(client, thread, text: str):
    return client.post(reverse("thread_send", args=[thread.pk]), {"content": text}, **STREAM)


def next_event(response) -> tuple[str, dict]:
    """Read the stream until one whole event has arrived."""
    buffer = b""
    while b"\n\n" not in buffer:
        buffer += next(response.streaming_content)
    assert buffer.endswith(b"\n\n"), "one chunk holds whole events"
    return events([buffer])[0]


def streaming_a_long_reply(client, person, thread):
    """`person` sends "Write a lot" as the page's stream; returns once its text has begun."""
    client.force_login(person)
    response = post_stream(client, thread, "Write a lot")
    while next_event(response)[0] != "text":
        pass
    return response


def test_the_reply_streams_as_page_updates_and_ends_with_the_pane(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    response = post_stream(client, thread, "Hello there")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    assert response["X-Accel-Buffering"] == "no"
    seen = events(response.streaming_content)
    names = [name for name, _ in seen]
    assert names[0] == "pane" and names[-1] == "done"
    first = seen[0][1]["html"]
    assert "Hello there" in first and 'id="live-turn"' in first
    assert "disabled" in composer_tag(first)  # held while the reply is written
    assert "status" in names and "part" in names and "text" in names
    written = "".join(data["settled"] + data["tail"] for name, data in seen if name == "text")
    assert "You said" in written
    last = seen[-1][1]["html"]
    assert 'You said: "Hello there"' in last and 'id="live-turn"' not in last
    assert "disabled" not in composer_tag(last)
    record = RunRecord.objects.get(thread=thread)
    assert record.status == "completed" and record.started_by == owner
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RUN_STARTED, actor=owner).exists()


def test_the_stop_button_carries_the_run_once_it_exists(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    seen = events(post_stream(client, thread, "Hello").streaming_content)
    record = RunRecord.objects.get(thread=thread)
    status = next(data["html"] for name, data in seen if name == "status")
    assert reverse("run_cancel", args=[thread.pk, record.run_id]) in status
    assert ">Stop</button>" in status


def test_stop_keeps_the_partial_reply_marked_stopped(client, owner, make_thread, slow_assistant):
    thread = make_thread(owner, slow_assistant)
    response = streaming_a_long_reply(client, owner, thread)
    record = RunRecord.objects.get(thread=thread)
    # As the live Stop button posts it: the stream, not this answer, shows the end.
    url = reverse("run_cancel", args=[thread.pk, record.run_id])
    cancel = client.post(url, {"streaming": "1"}, **HTMX)
    assert cancel.status_code == 204 and cancel.content == b""
    rest = events(response.streaming_content)
    assert rest[-1][0] == "done"
    last = rest[-1][1]["html"]
    assert "The run was cancelled" in last and "Stopped" in last
    assert "word00" in last and "word39" not in last  # the text so far stays
    record.refresh_from_db()
    assert record.status == "cancelled"


def test_a_reload_during_the_stream_follows_the_same_run(
    client, owner, make_thread, slow_assistant, api
):
    thread = make_thread(owner, slow_assistant)
    response = streaming_a_long_reply(client, owner, thread)
    # The page reloaded (or a second tab): it polls the run the stream started.
    record = RunRecord.objects.get(thread=thread)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert reverse("run_status", args=[thread.pk, record.run_id]) in page
    assert 'id="live-turn"' not in page
    response.close()  # the reloaded tab's stream is gone; the run goes on
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert "word39" in done
    assert RunRecord.objects.filter(thread=thread).count() == 1
    assert len(api.threads.runs.list(thread.thread_id).data) == 1


def test_a_second_send_while_streaming_starts_no_second_run(
    client, owner, make_thread, slow_assistant, api
):
    thread = make_thread(owner, slow_assistant)
    response = streaming_a_long_reply(client, owner, thread)
    second = post_stream(client, thread, "And again")  # the engine refuses the message
    assert second.status_code == 422 and not second.streaming
    assert "Your message was not sent" in second.content.decode()
    events(response.streaming_content)
    assert RunRecord.objects.filter(thread=thread).count() == 1
    assert len(api.threads.runs.list(thread.thread_id).data) == 1


def test_tool_call_card_then_the_answer_streams_after_submit(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    seen = events(post_stream(client, thread, "Weather? get_weather city=Paris").streaming_content)
    card = seen[-1][1]["html"]
    assert seen[-1][0] == "done" and "Submit outputs" in card and "<h3>get_weather</h3>" in card
    assert 'class="tool-calls" data-stream' in card
    record = RunRecord.objects.get(thread=thread)
    call_id = card.split('name="output_')[1].split('"')[0]
    url = reverse("run_submit_outputs", args=[thread.pk, record.run_id])
    response = client.post(url, {f"output_{call_id}": '{"sky": "clear"}'}, **STREAM)
    after = events(response.streaming_content)
    assert after[0][0] == "pane" and ">Stop</button>" in after[0][1]["html"]
    assert any(name == "text" for name, _ in after)
    assert (
        after[-1][0] == "done" and 'get_weather returned: {"sky": "clear"}' in after[-1][1]["html"]
    )
    submission = ToolOutputSubmission.objects.get()
    assert submission.submitted_by == owner and submission.tool_call_id == call_id
    record.refresh_from_db()
    assert record.status == "completed"


def test_tool_steps_show_while_they_run(client, owner, make_thread, api):
    assistant = api.assistants.create(
        model="demo", name="Coder", tools=[{"type": "code_interpreter"}]
    )
    thread = make_thread(owner, assistant)
    client.force_login(owner)
    text = "Run this:\n```python\nprint(6 * 7)\n```"
    seen = events(post_stream(client, thread, text).streaming_content)
    steps = [data["html"] for name, data in seen if name == "part" and "live-step" in data["html"]]
    assert "Using a tool" in steps[0]  # at once, as the step starts
    assert any("Running code" in step and "print(6 * 7)" in step for step in steps[1:])
    assert seen[-1][0] == "done"


@pytest.mark.parametrize("who,sharing,allowed", WHO)  # those who may chat
def test_who_may_stream_a_reply(request, owner, make_thread, client, who, sharing, allowed):
    person = request.getfixturevalue(who)
    thread = make_thread(owner, sharing=sharing)
    client.force_login(person)
    response = post_stream(client, thread, "Hello")
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert events(response.streaming_content)[-1][0] == "done"
        assert RunRecord.objects.get(thread=thread).started_by == person
    else:
        assert not RunRecord.objects.exists()
        assert ThreadRecord.objects.get().title == ""  # no message was stored


def test_a_read_only_teammate_cannot_stream_tool_outputs(
    client, owner, teammate, outsider, make_thread
):
    thread = make_thread(owner, sharing="team_read")
    client.force_login(owner)
    seen = events(post_stream(client, thread, "get_weather city=Paris").streaming_content)
    record = RunRecord.objects.get(thread=thread)
    call_id = seen[-1][1]["html"].split('name="output_')[1].split('"')[0]
    url = reverse("run_submit_outputs", args=[thread.pk, record.run_id])
    for person in (teammate, outsider):
        client.force_login(person)
        assert client.post(url, {f"output_{call_id}": "x"}, **STREAM).status_code == 404
    assert not ToolOutputSubmission.objects.exists()


def test_without_stream_the_composer_still_posts_as_before(
    client, owner, make_thread, slow_assistant
):
    thread = make_thread(owner, slow_assistant)  # still writing when the fragment is made
    client.force_login(owner)
    url = reverse("thread_send", args=[thread.pk])
    assert client.post(url, {"content": "Hi"}).status_code == 302  # no JavaScript
    record = RunRecord.objects.get(thread=thread)
    poll(client, thread, record.run_id, until=stopped)
    fragment = client.post(url, {"content": "Again"}, **HTMX)  # htmx without stream.js
    assert not fragment.streaming and 'hx-trigger="load delay:200ms"' in fragment.content.decode()


def post_stream_under_asgi(person, thread, text: str) -> list[bytes]:
    """`person` sends `text` as the page's stream through Django's ASGI handler; the chunks."""

    async def converse() -> list[bytes]:
        client = AsyncClient()
        await client.aforce_login(person)
        response = await client.post(
            reverse("thread_send", args=[thread.pk]),
            {"content": text},
            headers={"HX-Request": "true", "Accept": "text/event-stream"},
        )
        assert response.is_async  # Django would buffer a sync iterator under ASGI
        return [chunk async for chunk in response.streaming_content]

    return run_async(converse())


def test_under_asgi_the_reply_streams_from_an_async_iterator(owner, make_thread):
    thread = make_thread(owner)
    seen = events(post_stream_under_asgi(owner, thread, "Hello async"))
    assert seen[0][0] == "pane"
    assert seen[-1][0] == "done" and 'You said: "Hello async"' in seen[-1][1]["html"]
    assert RunRecord.objects.get(thread=thread).status == "completed"


# --- The growing message (chat_stream), without a server ----------------------------------


def test_settled_blocks_end_at_blank_lines_outside_code_and_lists():
    text = "Intro\n\n- a\n\n- b\n\n```py\nx = 1\n\ny = 2\n```\n\nAfter\n\nstill growi"
    end = settled_end(text, 0)
    assert text[:end].endswith("```\n\n") and text[end:] == "After\n\nstill growi"
    assert settled_end("- a\n\n- b\n\nc", 0) == 0  # c: the last line, may still grow
    assert settled_end("```\nx\n\ny\n", 0) == 0  # inside an open fence nothing settles


def test_a_long_reply_is_sent_in_linear_size():
    """Each block is sent once as settled HTML; only the tail is re-sent (no O(n²) bytes)."""
    clock = iter(range(10**6))
    live = LiveReply(clock=lambda: next(clock))  # a second between events: every delta renders
    message = {"id": "msg_1", "role": "assistant", "content": [], "created_at": 1}
    live.feed(MessageEvent.model_validate({"event": "thread.message.created", "data": message}))
    paragraphs = [f"Paragraph {i} " + "word " * 30 + "\n\n" for i in range(200)]
    sent = 0
    for paragraph in paragraphs:
        for piece in (paragraph[:60], paragraph[60:]):
            delta = {
                "id": "msg_1",
                "delta": {"content": [{"index": 0, "type": "text", "text": {"value": piece}}]},
            }
            out = live.feed(
                MessageDeltaEvent.model_validate({"event": "thread.message.delta", "data": delta})
            )
            sent += len(out)
    total = sum(len(p) for p in paragraphs)
    assert sent < 6 * total  # the whole text re-sent at each delta would be ~200 times that


def test_a_backend_that_ignores_stream_is_followed_by_polling(rf, owner, make_thread, api):
    """The run a non-streaming backend started anyway is recorded and polled: no second run."""
    import httpx

    from assistants_app.services import APIResponseValidationError
    from assistants_app.views.stream import Turn, _sync_events

    thread = make_thread(owner)
    run = {"id": "run_plain", "object": "thread.run", "status": "queued", "created_at": 1}
    answer = httpx.Response(200, json=run, request=httpx.Request("POST", "http://backend/runs"))

    def open_stream(client):
        raise APIResponseValidationError(
            "Asked for a stream, the backend answered application/json",
            response=answer,
            request=answer.request,
        )

    request = rf.post("/")
    request.user = owner
    turn = Turn(request, thread, api)
    seen = events(list(_sync_events(turn, b"", open_stream)))
    assert [name for name, _ in seen] == ["fallback"]
    assert reverse("run_status", args=[thread.pk, "run_plain"]) in seen[0][1]["html"]
    record = RunRecord.objects.get(thread=thread)
    assert record.run_id == "run_plain" and record.started_by == owner
