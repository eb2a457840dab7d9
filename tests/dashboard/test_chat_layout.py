"""The chat layout's views (views/threads.py): a new chat stored only with its first message,
readable titles, the sidebar and its search by title and content, regenerate, edit and
resend, export, and the model picker; each write checked from the owner, a teammate who may
chat, a read-only teammate and an outsider. Over the real engine."""

import json

import pytest
from django.urls import reverse

from assistants_app.models import RunRecord, ThreadMessageIndex, ThreadRecord
from assistants_app.titles import short_title

from .support import HTMX, poll, send, stopped, waiting_for_outputs

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = {**HTMX, "HTTP_ACCEPT": "text/event-stream"}


def answered(client, thread) -> RunRecord:
    """Wait for the thread's latest run to end; the run record."""
    record = thread.runs.first()
    poll(client, thread, record.run_id, until=stopped)
    record.refresh_from_db()
    return record


def chatted(client, user, make_thread, text="Hello there", **kwargs) -> ThreadRecord:
    """A thread of `user` with one message and its answer."""
    thread = make_thread(user, **kwargs)
    client.force_login(user)
    send(client, thread, text)
    answered(client, thread)
    return thread


# --- New chat -------------------------------------------------------------------------------


def test_new_chat_stores_nothing_until_the_first_message(client, owner, api, weather_assistant):
    client.force_login(owner)
    url = reverse("thread_create")
    # "Chat with this assistant" posts the assistant only: it opens the empty chat.
    opened = client.post(url, {"assistant_id": weather_assistant.id})
    assert opened.status_code == 302
    assert opened["Location"] == f"{url}?assistant={weather_assistant.id}"
    page = client.get(opened["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "New chat" in html and "Weather helper" in html
    assert 'action="/threads/new/"' in html  # the composer posts the first message there
    for _ in range(3):
        client.get(opened["Location"])
    assert not ThreadRecord.objects.exists()

    sent = client.post(
        url, {"assistant_id": weather_assistant.id, "content": "What should I pack for Lisbon?"}
    )
    thread = ThreadRecord.objects.get()
    assert sent.status_code == 302 and sent["Location"] == thread.get_absolute_url()
    assert thread.owner == owner and thread.sharing == ThreadRecord.Sharing.PRIVATE
    assert thread.assistant_id == weather_assistant.id and thread.assistant_name == "Weather helper"
    assert thread.title == "What should I pack for Lisbon?"
    assert answered(client, thread).started_by == owner
    texts = [m.text for m in api.threads.messages.list(thread.thread_id, order="asc").data]
    assert texts[0] == "What should I pack for Lisbon?" and len(texts) == 2


def test_new_chat_with_an_empty_message_stores_nothing(client, owner, weather_assistant):
    client.force_login(owner)
    response = client.post(
        reverse("thread_create"), {"assistant_id": weather_assistant.id, "content": "  "}
    )
    assert response.status_code == 422
    assert "Type a message first." in response.content.decode()
    assert not ThreadRecord.objects.exists()


def test_new_chat_without_an_assistant_picks_the_latest_used(
    client, owner, api, make_thread, weather_assistant
):
    other = api.assistants.create(model="demo", name="Newer one")
    make_thread(owner, weather_assistant)
    client.force_login(owner)
    html = client.get(reverse("thread_create")).content.decode()
    assert "With Weather helper" in html and other.id not in html


def test_new_chat_streams_and_becomes_the_thread(client, owner, weather_assistant):
    client.force_login(owner)
    response = client.post(
        reverse("thread_create"),
        {"assistant_id": weather_assistant.id, "content": "Hello **there**"},
        **STREAM,
    )
    body = b"".join(response.streaming_content).decode()
    thread = ThreadRecord.objects.get()
    first = json.loads(body.split("data: ", 1)[1].split("\n", 1)[0])
    assert first["url"] == thread.get_absolute_url()  # the page takes the thread's address
    assert 'id="thread-header" hx-swap-oob="true"' in first["html"]
    assert 'id="chat-sidebar" aria-label="Chats" hx-swap-oob="true"' in first["html"]
    assert thread.title == "Hello there"
    assert thread.runs.get().status == "completed"


def test_new_chat_with_a_missing_assistant_says_so(client, owner, engine):
    client.force_login(owner)
    response = client.get(reverse("thread_create"), {"assistant": "asst_gone"}, follow=True)
    assert "Could not start the chat." in response.content.decode()
    assert not ThreadRecord.objects.exists()


# --- Titles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,title",
    [
        ("**Plan** the _offsite_ in [Lisbon](https://example.com)", "Plan the offsite in Lisbon"),
        (
            "# Why?\n\n```python\nprint('hi')\n```\nWhat does this print?",
            "Why? What does this print?",
        ),
        ("```sql\nSELECT * FROM orders\n```", "SELECT * FROM orders"),
        (
            "Please summarise the quarterly report for the platform team and list the risks",
            "Please summarise the quarterly report for the platform team…",
        ),
        ("x" * 80, "x" * 59 + "…"),
    ],
)
def test_short_title(text, title):
    assert short_title(text) == title
    assert len(short_title(text)) <= 60


def test_the_first_message_gives_a_short_title_and_renaming_keeps_it(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    send(client, thread, "## Help with a *long* question about " + "many things " * 10)
    thread.refresh_from_db()
    assert thread.title.startswith("Help with a long question about many things")
    assert thread.title.endswith("…") and len(thread.title) <= 60
    client.post(reverse("thread_rename", args=[thread.pk]), {"title": "Mine now"})
    answered(client, thread)
    send(client, thread, "Another message")
    thread.refresh_from_db()
    assert thread.title == "Mine now"


# --- Sidebar --------------------------------------------------------------------------------


def test_sidebar_lists_mine_and_shared_newest_first_with_the_open_one_current(
    client, owner, teammate, make_thread
):
    older = make_thread(owner, title="Older plan")
    shared = make_thread(teammate, title="Team notes", sharing="team_read")
    make_thread(teammate, title="Tomas private")
    newer = make_thread(owner, title="Newer plan")
    client.force_login(owner)
    html = client.get(older.get_absolute_url()).content.decode()
    sidebar = html.split('id="sidebar-threads"', 1)[1].split("</nav>", 1)[0]
    assert sidebar.index("Newer plan") < sidebar.index("Team notes") < sidebar.index("Older plan")
    assert "Tomas private" not in sidebar
    current = sidebar.split('aria-current="page"', 1)[0].rsplit("<a ", 1)[1]
    assert older.get_absolute_url() in current
    assert f'href="{newer.get_absolute_url()}" aria-current' not in sidebar
    assert shared.get_absolute_url() in sidebar
    assert "New chat" in html


def test_search_finds_threads_by_title_and_by_content_seen(client, owner, outsider, make_thread):
    by_title = make_thread(owner, title="Budget for Lisbon")
    by_content = chatted(client, owner, make_thread, "Please compare the zebra crossings")
    make_thread(owner, title="Something else")
    secret = chatted(client, outsider, make_thread, "zebra secrets")
    assert ThreadMessageIndex.objects.filter(thread=by_content, role="assistant").exists()
    client.force_login(owner)

    def found(q: str) -> str:
        return client.get(reverse("thread_search"), {"q": q}, **HTMX).content.decode()

    assert by_title.get_absolute_url() in found("lisbon")
    assert by_content.get_absolute_url() in found("ZEBRA crossings")  # every word, any case
    assert by_title.get_absolute_url() not in found("zebra")
    assert secret.get_absolute_url() not in found("zebra")  # others' private threads: never
    assert "No chat matches" in found("nothing-like-this")
    # Without JavaScript, the search is the Threads page's.
    plain = client.get(reverse("thread_search"), {"q": "zebra"})
    assert plain.status_code == 302 and plain["Location"] == "/threads/?q=zebra"
    listed = client.get(plain["Location"]).content.decode()
    assert by_content.get_absolute_url() in listed
    assert by_title.get_absolute_url() not in listed


# --- Who may regenerate, edit and export -----------------------------------------------------

WHO = [
    ("owner", "private", True),
    ("teammate", "team_chat", True),
    ("teammate", "team_read", False),
    ("outsider", "private", False),
]


@pytest.mark.parametrize("who,sharing,allowed", WHO)
def test_regenerate(request, client, owner, api, make_thread, who, sharing, allowed):
    thread = chatted(client, owner, make_thread, "Hello there", sharing=sharing)
    first = thread.runs.get()
    person = request.getfixturevalue(who)
    client.force_login(person)
    response = client.post(reverse("thread_regenerate", args=[thread.pk]))
    if not allowed:
        assert response.status_code == 404
        assert thread.runs.count() == 1
        return
    assert response.status_code == 302
    second = thread.runs.exclude(pk=first.pk).get()
    assert second.started_by == person
    answered(client, thread)
    messages = api.threads.messages.list(thread.thread_id, order="asc").data
    assert [m.role for m in messages] == ["user", "assistant", "assistant"]
    assert messages[-1].run_id == second.run_id  # a new run on the same thread


def test_regenerate_is_offered_on_the_last_answer_only(client, owner, make_thread):
    thread = chatted(client, owner, make_thread, "Hello there")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert html.count("Regenerate") == 1
    assert html.index("Regenerate") > html.index('class="turn assistant')


def test_regenerate_and_edit_wait_while_a_run_holds_the_thread(client, owner, api, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    send(client, thread, "What is the weather? get_weather city=Paris")
    record = thread.runs.get()
    poll(client, thread, record.run_id, until=waiting_for_outputs)
    mine = api.threads.messages.list(thread.thread_id).data[0]

    refused = client.post(reverse("thread_regenerate", args=[thread.pk]), **HTMX)
    assert refused.status_code == 422
    assert "still answering" in refused.content.decode()
    edit = reverse("message_edit", args=[thread.pk, mine.id])
    refused = client.post(edit, {"content": "Weather in Rome?"}, **HTMX)
    assert refused.status_code == 422 and "still answering" in refused.content.decode()
    plain = client.post(reverse("thread_regenerate", args=[thread.pk]), follow=True)
    assert "still answering" in plain.content.decode()
    assert thread.runs.count() == 1
    assert len(api.threads.messages.list(thread.thread_id).data) == 1


@pytest.mark.parametrize("who,sharing,allowed", WHO)
def test_edit_and_resend(request, client, owner, api, make_thread, who, sharing, allowed):
    thread = chatted(client, owner, make_thread, "Hello there", sharing=sharing)
    person = request.getfixturevalue(who)
    client.force_login(person)
    if person != owner and allowed:
        # A teammate who may chat sends a message of their own, and edits that one.
        send(client, thread, "My own question")
        answered(client, thread)
    mine = [
        m for m in api.threads.messages.list(thread.thread_id, order="asc").data if m.role == "user"
    ][-1]
    url = reverse("message_edit", args=[thread.pk, mine.id])
    response = client.post(url, {"content": "Hello again, edited"})
    before = len(api.threads.messages.list(thread.thread_id).data)
    if not allowed:
        assert response.status_code == 404
        assert before == 2
        return
    assert response.status_code == 302
    record = answered(client, thread)
    assert record.started_by == person
    messages = api.threads.messages.list(thread.thread_id, order="asc").data
    edited = messages[-2]
    assert edited.text == "Hello again, edited"
    assert edited.metadata["edit_of"] == mine.id
    assert messages[-1].run_id == record.run_id and messages[-1].role == "assistant"
    assert mine.id in [m.id for m in messages]  # what came before stays
    html = client.get(thread.get_absolute_url()).content.decode()
    assert html.count("before the edit</span>") == 2  # the original and its answer
    assert "edited</span>" in html


def test_a_teammate_cannot_edit_the_owners_message(client, owner, teammate, api, make_thread):
    thread = chatted(client, owner, make_thread, "Hello there", sharing="team_chat")
    theirs = api.threads.messages.list(thread.thread_id, order="asc").data[0]
    client.force_login(teammate)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Send edited message" not in html
    url = reverse("message_edit", args=[thread.pk, theirs.id])
    assert client.post(url, {"content": "Not yours"}).status_code == 404
    assert len(api.threads.messages.list(thread.thread_id).data) == 2


def test_an_answer_cannot_be_edited_and_an_empty_edit_is_refused(client, owner, api, make_thread):
    thread = chatted(client, owner, make_thread, "Hello there")
    user, answer = api.threads.messages.list(thread.thread_id, order="asc").data
    url = reverse("message_edit", args=[thread.pk, answer.id])
    assert client.post(url, {"content": "Mine now"}).status_code == 404
    empty = client.post(
        reverse("message_edit", args=[thread.pk, user.id]), {"content": " "}, **HTMX
    )
    assert empty.status_code == 422 and "Type a message first." in empty.content.decode()
    assert len(api.threads.messages.list(thread.thread_id).data) == 2


@pytest.mark.parametrize("who,sharing,allowed", [*WHO, ("teammate", "private", False)])
def test_export(request, client, owner, make_thread, who, sharing, allowed):
    thread = chatted(client, owner, make_thread, "Hello **there**", sharing=sharing)
    client.force_login(request.getfixturevalue(who))
    markdown = client.get(reverse("thread_export", args=[thread.pk, "md"]))
    as_json = client.get(reverse("thread_export", args=[thread.pk, "json"]))
    visible = allowed or sharing != "private"
    if not visible:
        assert markdown.status_code == as_json.status_code == 404
        return
    assert markdown["Content-Type"].startswith("text/markdown")
    assert markdown["Content-Disposition"] == 'attachment; filename="hello-there.md"'
    text = markdown.content.decode()
    assert text.startswith("# Hello there\n")
    assert f"## {owner.username}" in text and "Hello **there**" in text
    assert "## Weather helper" in text and 'You said: "Hello **there**"' in text
    data = json.loads(as_json.content)
    assert data["thread"]["id"] == thread.thread_id and data["thread"]["title"] == "Hello there"
    assert [(m["role"], m["author"]) for m in data["messages"]] == [
        ("user", owner.username),
        ("assistant", "Weather helper"),
    ]
    assert data["messages"][0]["text"] == "Hello **there**"
    assert data["messages"][1]["run_id"] == thread.runs.get().run_id


def test_export_of_an_unknown_format_is_not_found(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    assert client.get(reverse("thread_export", args=[thread.pk, "pdf"])).status_code == 404


# --- Model picker ---------------------------------------------------------------------------


def test_the_model_picker_offers_the_connections_models_and_sends_the_choice(
    client, owner, api, make_thread, chat_model
):
    other = chat_model  # served by the fake chat-completions server, listed in /v1/models
    assert other in [m.id for m in api.models.list().data]
    thread = make_thread(owner)
    client.force_login(owner)
    html = client.get(thread.get_absolute_url()).content.decode()
    picker = html.split('<select name="model"', 1)[1].split("</select>", 1)[0]
    assert '<option value="" selected>demo (the assistant&#x27;s model)</option>' in picker
    assert f'<option value="{other}">' in picker
    assert "Advanced options" in html and 'list="model-choices"' not in html

    send(client, thread, "Hello there", model=other)
    record = thread.runs.get()
    assert record.options["model"] == other
    run = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    assert run.model == other
    answered(client, thread)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert f'<option value="{other}" selected>' in html  # the choice stays for the next one
    send(client, thread, "And again")  # no model: the assistant's own
    latest = thread.runs.first()
    assert "model" not in latest.options
    assert api.threads.runs.retrieve(latest.run_id, thread_id=thread.thread_id).model == "demo"


def test_the_threads_page_search_keeps_its_words_across_pages(client, owner, engine):
    from assistants_app.models import Connection

    connection = Connection.objects.default()
    for i in range(35):
        ThreadRecord.objects.create(
            connection=connection,
            thread_id=f"thread_{i}",
            owner=owner,
            assistant_id="asst_x",
            title=f"Plan {i}" if i < 30 else f"Other {i}",
        )
    client.force_login(owner)
    first = client.get(reverse("thread_list"), {"q": "plan"}).content.decode()
    assert first.count(">Plan ") == 25 and "Other" not in first
    assert 'href="?q=plan&amp;page=2">Older</a>' in first
    second = client.get(reverse("thread_list"), {"q": "plan", "page": 2}).content.decode()
    assert second.count(">Plan ") == 5 and "Other" not in second
