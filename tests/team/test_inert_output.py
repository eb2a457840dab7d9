"""Model output is untrusted: HTML or <script> in an answer, in a function call's arguments, in
an assistant's name, a thread's title or a tool output is shown as text, never run."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from assistants_app.models import RunRecord
from tests.dashboard.support import HTMX, poll, send, stopped, waiting_for_outputs
from tests.fakes.chat_server import Reply
from tests.support import WEATHER_TOOL

pytestmark = pytest.mark.django_db(transaction=True)

EVIL_ANSWER = (
    '<script>alert("answer")</script> <img src=x onerror=alert(1)> '
    '[click me](javascript:alert(2)) <a href="javascript:alert(3)">x</a> **bold**'
)
EVIL_CITY = "<script>alert('arguments')</script>"


class Audit(HTMLParser):
    """Every way a page could run code: scripts, on* handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.problems.append(f"inline script {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value}>")


def assert_inert(html: str, where: str) -> None:
    audit = Audit()
    audit.feed(html)
    assert audit.problems == [], where


def test_hostile_model_output_is_shown_as_text(
    client, owner, api, chat_model, chat_server, make_thread
):
    chat_server.script(
        Reply(tool_calls=[{"name": "get_weather", "arguments": {"city": EVIL_CITY}}]),
        Reply(text=EVIL_ANSWER),
    )
    assistant = api.assistants.create(
        model=chat_model, name="<b onmouseover=alert(5)>Helper</b>", tools=[WEATHER_TOOL]
    )
    thread = make_thread(owner, assistant)
    client.force_login(owner)
    send(client, thread, "<img src=y onerror=alert(6)> what is the weather?")
    record = RunRecord.objects.get()
    waiting = poll(client, thread, record.run_id, until=waiting_for_outputs).content.decode()
    assert_inert(waiting, "the tool-call card")
    assert "&lt;script&gt;alert(&#x27;arguments&#x27;)&lt;/script&gt;" in waiting
    call_id = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    call_id = call_id.required_tool_calls[0].id
    client.post(
        reverse("run_submit_outputs", args=[thread.pk, record.run_id]),
        {f"output_{call_id}": "<svg onload=alert(7)>"},
        **HTMX,
    )
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert_inert(done, "the finished conversation")

    pages = {
        "thread": client.get(thread.get_absolute_url()).content.decode(),
        "threads": client.get(reverse("thread_list")).content.decode(),
        "assistants": client.get(reverse("assistant_list")).content.decode(),
        "steps": client.get(reverse("run_steps", args=[thread.pk, record.run_id])).content.decode(),
        "history": client.get(reverse("assistant_history", args=[assistant.id])).content.decode(),
    }
    for where, html in pages.items():
        assert_inert(html, where)
    page = pages["thread"]
    assert '&lt;script&gt;alert("answer")&lt;/script&gt;' in page  # shown, as text
    assert "<strong>bold</strong>" in page  # Markdown still works
    assert "&lt;img src=y onerror=alert(6)" in pages["threads"]  # the title, as text
    assert "&lt;b onmouseover=alert(5)&gt;Helper&lt;/b&gt;" in pages["assistants"]
    assert "&lt;svg onload=alert(7)&gt;" in pages["steps"]  # the output typed, as text
