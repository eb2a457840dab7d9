"""Replies streaming into the chat pane, in Chromium, from the built-in engine running a slow
local chat-completions server (tests/fakes/chat_server.py): the reply grows as it is written,
Stop keeps what was written, a reload mid-reply follows the same run, the tool-call card
arrives mid-stream and the answer after it streams too. The console must stay quiet."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.fakes.chat_server import Reply
from tests.support import WEATHER_TOOL, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots mid-stream and after, for a person to look at: SCREENSHOTS=folder pytest …
SHOTS = os.environ.get("SCREENSHOTS", "")
WORDS = [f"word{i:02d}" for i in range(60)]
REPLY = (
    "Here is **the plan**:\n\n"
    + " ".join(WORDS[:30])
    + "\n\n```python\nprint('hello')\n```\n\n"
    + " ".join(WORDS[30:])
)

# Lengths of the live reply's text, each time the page changes it (read back by the test).
WATCH_LENGTHS = """() => {
  window.__lengths = [];
  new MutationObserver(() => {
    const live = document.querySelector('#live-parts');
    if (live) window.__lengths.push(live.textContent.length);
  }).observe(document.querySelector('#conversation'),
             {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture
def slow(chat_server, chat_model, settings):
    """The fake model writes REPLY a few characters every 50 ms (about 5 s in all)."""
    settings.ENGINE_CHAT_TIMEOUT = 15.0
    chat_server.default = lambda body: Reply(text=REPLY, chunk_size=6, delay=0.05)
    return chat_server


@pytest.fixture
def writer(api, slow, chat_model):
    return api.assistants.create(model=chat_model, name="Slow writer", tools=[WEATHER_TOOL])


def open_chat(page: Page, live_server, assistant) -> None:
    page.goto(f"{live_server.url}/assistants/{assistant.id}/")
    page.get_by_role("button", name="Chat with this assistant").click()
    expect(page.get_by_text("No messages yet.")).to_be_visible()


def send(page: Page, text: str, *, presses: int = 1) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    for _ in range(presses):
        box.press("Enter")


def live_text(page: Page) -> str:
    return page.evaluate("() => document.querySelector('#live-parts')?.textContent || ''")


def until_written(page: Page, word: str) -> None:
    wait_until(lambda: word in live_text(page), timeout=15, message=f"{word} in the live reply")


def shoot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_the_reply_grows_in_the_page(signed_in: Page, live_server, writer, console):
    page = signed_in
    open_chat(page, live_server, writer)
    page.evaluate(WATCH_LENGTHS)
    send(page, "Tell me the plan", presses=2)  # an impatient second Enter sends nothing more
    expect(page.locator(".turn.user").last).to_contain_text("Tell me the plan")
    until_written(page, "word10")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(page.get_by_role("textbox", name="Message")).to_be_disabled()
    expect(page.locator("#live-parts strong")).to_have_text("the plan")  # Markdown as it grows
    shoot(page, "stream-desktop-mid")
    until_written(page, "print")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "stream-phone-mid")

    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text(WORDS[-1])
    expect(page.locator("#live-turn")).to_have_count(0)  # the stored message replaced it
    expect(reply.locator("pre code")).to_contain_text("print('hello')")
    expect(page.get_by_role("textbox", name="Message")).to_be_enabled()
    expect(page.locator("#reply-announcer")).to_contain_text(WORDS[-1])  # said once, whole
    shoot(page, "stream-phone-after")
    page.set_viewport_size({"width": 1366, "height": 900})
    shoot(page, "stream-desktop-after")

    expect(page.locator(".turn.user")).to_have_count(1)
    lengths = page.evaluate("window.__lengths")
    partial = {n for n in lengths if 0 < n < len(" ".join(WORDS))}
    assert len(partial) >= 5, lengths  # seen growing, not arriving whole
    assert console == []


def test_stop_keeps_the_partial_reply(signed_in: Page, live_server, writer, console):
    page = signed_in
    open_chat(page, live_server, writer)
    send(page, "Tell me the plan")
    until_written(page, "word05")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("The run was cancelled")).to_be_visible()
    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text("word05")
    expect(reply.locator(".stopped-mark")).to_contain_text("Stopped")
    assert WORDS[-1] not in reply.text_content()
    expect(page.get_by_role("textbox", name="Message")).to_be_enabled()
    shoot(page, "stream-stopped")
    assert console == []


def test_a_reload_mid_reply_ends_with_one_run_and_the_whole_reply(
    signed_in: Page, live_server, writer, api, console
):
    from assistants_app.models import RunRecord

    page = signed_in
    open_chat(page, live_server, writer)
    send(page, "Tell me the plan")
    until_written(page, "word03")
    page.reload()
    expect(page.locator(".turn.assistant").last).to_contain_text(WORDS[-1], timeout=20_000)
    expect(page.get_by_role("textbox", name="Message")).to_be_enabled()
    record = RunRecord.objects.get()
    assert record.status == "completed"
    assert len(api.threads.runs.list(record.thread.thread_id).data) == 1
    assert console == []


def test_the_tool_call_card_arrives_mid_stream_and_the_answer_streams(
    signed_in: Page, live_server, writer, slow, console
):
    page = signed_in
    slow.script(Reply(tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}]))
    open_chat(page, live_server, writer)
    send(page, "What is the weather in Paris?")
    card = page.locator(".tool-call")
    expect(card.get_by_role("heading", name="get_weather")).to_be_visible()
    card.get_by_label("Output of get_weather").fill('{"sky": "clear"}')
    page.evaluate(WATCH_LENGTHS)
    page.get_by_role("button", name="Submit outputs").click()
    until_written(page, "word05")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text(WORDS[-1])
    lengths = page.evaluate("window.__lengths")
    assert len({n for n in lengths if n > 0}) >= 5, lengths
    assert console == []
