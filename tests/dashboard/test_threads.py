"""Thread pages (views/threads.py): a thread is private to its creator; others get 404."""

import pytest
from django.urls import reverse

from assistants_app.models import RunRecord, ThreadRecord

from .support import HTMX, composer_tag, poll, send, stopped

pytestmark = pytest.mark.django_db(transaction=True)


def test_my_threads_lists_only_mine(client, owner, teammate, make_thread):
    make_thread(owner, title="Olivia's plan")
    make_thread(teammate, title="Tomas's notes")
    client.force_login(owner)
    page = client.get(reverse("thread_list")).content.decode()
    assert "Olivia&#x27;s plan" in page and "Tomas" not in page
    assert "Weather helper" in page  # the assistant column and the new-chat choice


def test_my_threads_empty_state(client, outsider, weather_assistant):
    client.force_login(outsider)
    page = client.get(reverse("thread_list")).content.decode()
    assert "No threads yet" in page
    assert "Start a new chat" in page


def test_new_chat_opens_an_empty_chat_and_stores_nothing(client, owner, weather_assistant):
    """Threads are made by their first message (tests/dashboard/test_chat_layout.py)."""
    client.force_login(owner)
    response = client.post(reverse("thread_create"), {"assistant_id": weather_assistant.id})
    page = client.get(response["Location"]).content.decode()
    assert "New chat" in page and "No messages yet" in page
    assert not ThreadRecord.objects.exists()


def test_new_chat_with_unknown_assistant_says_so(client, owner, engine):
    client.force_login(owner)
    response = client.post(reverse("thread_create"), {"assistant_id": "asst_gone"}, follow=True)
    assert "Could not start the chat." in response.content.decode()
    assert not ThreadRecord.objects.exists()


@pytest.mark.parametrize("who,status", [("owner", 200), ("teammate", 404), ("outsider", 404)])
def test_thread_page_is_private(request, client, owner, make_thread, who, status):
    thread = make_thread(owner)
    client.force_login(request.getfixturevalue(who))
    assert client.get(thread.get_absolute_url()).status_code == status
    assert client.get(reverse("thread_rename", args=[thread.pk])).status_code == status
    assert client.get(reverse("thread_delete", args=[thread.pk])).status_code == status


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_others_cannot_post_rename_or_delete(request, client, owner, api, make_thread, who):
    thread = make_thread(owner, title="Mine")
    client.force_login(request.getfixturevalue(who))
    assert send(client, thread, "hello").status_code == 404
    rename = client.post(reverse("thread_rename", args=[thread.pk]), {"title": "Theirs"})
    assert rename.status_code == 404
    assert client.post(reverse("thread_delete", args=[thread.pk])).status_code == 404
    thread.refresh_from_db()
    assert thread.title == "Mine"
    assert api.threads.messages.list(thread.thread_id).data == []


def test_send_message_titles_the_thread_and_records_the_run(client, owner, api, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    response = send(client, thread, "What should I pack for Lisbon?")
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    thread.refresh_from_db()
    assert thread.title == "What should I pack for Lisbon?"
    run = RunRecord.objects.get(thread=thread)
    assert run.started_by == owner and run.assistant_id == thread.assistant_id
    done = poll(client, thread, run.run_id, until=stopped)
    assert 'You said: "What should I pack for Lisbon?"' in done.content.decode()
    page = client.get(thread.get_absolute_url()).content.decode()
    assert page.count('class="turn ') == 2
    assert "olivia" in page  # who wrote the message
    # A second message does not retitle the thread.
    send(client, thread, "And for Porto?")
    thread.refresh_from_db()
    assert thread.title == "What should I pack for Lisbon?"


def test_send_as_htmx_returns_the_conversation_with_a_polling_status(
    client, owner, make_thread, slow_assistant
):
    thread = make_thread(owner, slow_assistant)
    client.force_login(owner)
    response = client.post(reverse("thread_send", args=[thread.pk]), {"content": "Hello"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'hx-trigger="load delay:200ms"' in html
    assert "The assistant is" in html  # the composer says why it is disabled
    assert "disabled" in composer_tag(html)


def test_empty_message_is_refused_with_a_field_error(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    response = send(client, thread, "   ")
    assert response.status_code == 422
    assert "Type a message first." in response.content.decode()


def test_a_message_is_never_lost_when_sending_fails(client, owner, settings, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    settings.ENGINE_BASE_URL = "http://127.0.0.1:9/v1"  # the backend does not answer
    for extra in ({}, HTMX):
        response = client.post(
            reverse("thread_send", args=[thread.pk]), {"content": "Keep <me> safe"}, **extra
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "Your message was not sent." in html
        assert "\nKeep &lt;me&gt; safe</textarea>" in html  # a widget starts with a new line
    assert not RunRecord.objects.exists()


def test_sending_while_a_run_is_active_keeps_the_text(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    send(client, thread, "get_weather city=Oslo")  # waits for tool outputs: stays active
    response = send(client, thread, "Second thoughts")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Your message was not sent." in html and "\nSecond thoughts</textarea>" in html
    assert "while a run" in html  # the API's reason, in its words


def test_messages_are_sanitised_markdown(client, owner, api, make_thread):
    thread = make_thread(owner)
    api.threads.messages.create(
        thread.thread_id, role="user", content="**bold** <script>alert(1)</script>"
    )
    client.force_login(owner)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "<strong>bold</strong>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_long_threads_load_earlier_messages_on_demand(client, owner, api, make_thread):
    thread = make_thread(owner)
    for number in range(25):
        api.threads.messages.create(thread.thread_id, role="user", content=f"message {number:02d}")
    client.force_login(owner)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "message 24" in page and "message 05" in page and "message 04" not in page
    assert "Load earlier messages" in page
    cursor = page.split("earlier_than=")[1].split('"')[0]
    earlier = client.get(
        reverse("thread_earlier", args=[thread.pk]), {"earlier_than": cursor}, **HTMX
    ).content.decode()
    assert "message 04" in earlier and "message 00" in earlier and "message 05" not in earlier
    assert "Load earlier messages" not in earlier
    # Without JavaScript the page itself shows the earlier page.
    plain = client.get(thread.get_absolute_url(), {"earlier_than": cursor}).content.decode()
    assert "message 00" in plain and "Show the latest messages" in plain


def test_rename(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    response = client.post(reverse("thread_rename", args=[thread.pk]), {"title": "Trip"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.title == "Trip" and thread.renamed
    thread.note_user_message("a later first message does not retitle")
    assert thread.title == "Trip"
    too_long = client.post(reverse("thread_rename", args=[thread.pk]), {"title": "x" * 121})
    assert too_long.status_code == 422


def test_delete_asks_first_then_deletes_on_the_backend(client, owner, api, make_thread):
    thread = make_thread(owner, title="Old")
    client.force_login(owner)
    confirm = client.get(reverse("thread_delete", args=[thread.pk])).content.decode()
    assert "Delete “Old”?" in confirm
    response = client.post(reverse("thread_delete", args=[thread.pk]))
    assert response["Location"] == reverse("thread_list")
    assert not ThreadRecord.objects.exists()
    from assistants_app.services import NotFoundError

    with pytest.raises(NotFoundError):
        api.threads.retrieve(thread.thread_id)


def test_advanced_options_apply_to_that_run_only(client, owner, api, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    send(
        client,
        thread,
        "get_weather city=Oslo",
        temperature="0.3",
        additional_instructions="Mention the fjords.",
        tool_choice="none",
    )
    record = RunRecord.objects.get(thread=thread)
    assert record.options == {
        "additional_instructions": "Mention the fjords.",
        "temperature": 0.3,
        "tool_choice": "none",
    }
    run = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    assert run.temperature == 0.3 and run.tool_choice == "none"
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert "You said:" in done and "Submit outputs" not in done  # no function call: none
    assert 'my instructions begin: "Mention the fjords."' in done
    send(client, thread, "and now?")
    second = RunRecord.objects.exclude(pk=record.pk).get()
    assert second.options == {}


def test_bad_run_options_are_field_errors_and_keep_the_message(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    response = send(client, thread, "Keep me", temperature="9", tool_choice="two words")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 2." in html
    assert "\nKeep me</textarea>" in html
    assert '<details class="run-options" open>' in html
    assert not RunRecord.objects.exists()


def _page_queries(client, thread) -> int:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()  # cold: nothing known of the runs' steps yet
    with CaptureQueriesContext(connection) as queries:
        assert client.get(thread.get_absolute_url()).status_code == 200
    return len(queries)


def test_the_thread_page_queries_do_not_grow_with_its_runs(client, owner, make_thread):
    client.force_login(owner)
    short, long = make_thread(owner), make_thread(owner)
    for thread, turns in ((short, 1), (long, 4)):
        for turn in range(turns):
            send(client, thread, f"Hello {turn}")
            run_id = RunRecord.objects.filter(thread=thread).first().run_id
            poll(client, thread, run_id, until=stopped)
    assert _page_queries(client, long) == _page_queries(client, short)
