"""The chat layout in Chromium, against the live server and the built-in engine (demo model,
or the fake chat-completions server for the model picker): the sidebar (search by title and
content, the open thread highlighted, folded behind "Chats" on a phone), a new chat stored
only with its first message, regenerate, edit and send again, export, copy, the tool-call
card's focus and Ctrl+Enter, the model picker. The console must stay quiet in each.

SCREENSHOTS=folder saves the chat at 1366 px and 390 px (sidebar folded and open)."""

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOTS", "")
AXE = Path(__file__).resolve().parents[2] / ".cache/axe/node_modules/axe-core/axe.min.js"
# What sticks out of a 390 px screen, for the failure message.
WIDER_THAN_390 = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391)
  .map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)
  .slice(0, 20)"""


def shoot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def serious_axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (`make test` installs
    axe-core into .cache/axe; run outside the page's CSP, as tests/browser/test_every_page.py)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' '))))"""
    )
    return list(found)


def composer(page: Page):
    return page.get_by_role("textbox", name="Message")


def send(page: Page, text: str) -> None:
    composer(page).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def answers(page: Page):
    return page.locator("#messages > .turn.assistant")


def until_answered(page: Page, count: int) -> None:
    expect(answers(page)).to_have_count(count)
    expect(composer(page)).to_be_enabled()


def open_thread(page: Page, live_server, thread) -> None:
    page.goto(live_server.url + thread.get_absolute_url())


def test_sidebar_search_highlight_and_phone(
    signed_in: Page, live_server, owner, make_thread, console
):
    page = signed_in
    by_title = make_thread(owner, title="Budget for Lisbon")
    by_content = make_thread(owner, title="Weekly notes")
    make_thread(owner, title="Something else entirely")
    open_thread(page, live_server, by_content)
    send(page, "Tell me about zebra crossings")
    until_answered(page, 1)

    sidebar = page.get_by_role("complementary", name="Chats")
    current = sidebar.locator("a[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Weekly notes")
    expect(sidebar.get_by_role("link", name="New chat")).to_be_visible()
    titles = sidebar.locator(".sidebar-title")
    expect(titles.first).to_have_text("Weekly notes")  # newest activity first

    search = sidebar.get_by_role("searchbox", name="Search chats")
    search.fill("lisbon")
    expect(titles).to_have_text(["Budget for Lisbon"])
    search.fill("ZEBRA")  # a word of a message: found by content, any case
    expect(titles).to_have_text(["Weekly notes"])
    expect(sidebar.locator("a[aria-current=page]")).to_have_count(1)  # still the open one
    search.fill("nothing like this")
    expect(sidebar).to_contain_text("No chat matches")
    search.fill("")
    expect(titles).to_have_count(3)
    page.set_viewport_size({"width": 1366, "height": 900})
    shoot(page, "chat-desktop")
    page.emulate_media(color_scheme="dark")
    shoot(page, "chat-desktop-dark")
    page.emulate_media(color_scheme="light")

    page.set_viewport_size({"width": 390, "height": 844})
    toggle = page.get_by_role("button", name="Chats")
    expect(toggle).to_be_visible()
    expect(sidebar).to_be_hidden()
    wait_until(
        lambda: page.evaluate("document.documentElement.scrollWidth") <= 390,
        timeout=5,
        message=lambda: f"nothing wider than the screen: {page.evaluate(WIDER_THAN_390)}",
    )
    shoot(page, "chat-phone")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(sidebar).to_be_visible()
    expect(search).to_be_focused()
    shoot(page, "chat-phone-sidebar")
    sidebar.get_by_role("link", name="Budget for Lisbon").click()
    expect(page).to_have_url(live_server.url + by_title.get_absolute_url())
    page.keyboard.press("Escape")
    assert console == []


def test_new_chat_is_stored_by_its_first_message(
    signed_in: Page, live_server, weather_assistant, console
):
    from assistants_app.models import ThreadRecord

    page = signed_in
    page.goto(f"{live_server.url}/assistants/{weather_assistant.id}/")
    page.get_by_role("button", name="Chat with this assistant").click()
    expect(page.get_by_role("heading", name="New chat")).to_be_visible()
    page.reload()
    page.get_by_role("complementary", name="Chats").get_by_role("link", name="New chat").click()
    expect(page.get_by_text("No messages yet.")).to_be_visible()
    assert not ThreadRecord.objects.exists()  # opened three times: nothing stored

    send(page, "## Packing for **Lisbon**\n\n```\nlist = []\n```\nWhat should I bring?")
    until_answered(page, 1)
    thread = ThreadRecord.objects.get()
    assert thread.title == "Packing for Lisbon What should I bring?"
    expect(page).to_have_url(live_server.url + thread.get_absolute_url())
    expect(page.locator("#thread-title")).to_have_text(thread.title)
    expect(page.get_by_role("link", name="Rename")).to_be_visible()
    current = page.get_by_role("complementary", name="Chats").locator("a[aria-current=page]")
    expect(current).to_contain_text(thread.title)
    send(page, "And for Porto?")  # the composer now posts to the thread
    until_answered(page, 2)
    assert ThreadRecord.objects.count() == 1
    assert console == []


def test_regenerate_edit_and_export(signed_in: Page, live_server, owner, api, make_thread, console):
    page = signed_in
    thread = make_thread(owner)
    open_thread(page, live_server, thread)
    send(page, "Hello there")
    until_answered(page, 1)

    page.get_by_role("button", name="Regenerate").click()
    until_answered(page, 2)
    runs = api.threads.runs.list(thread.thread_id).data
    assert len(runs) == 2 and all(run.status == "completed" for run in runs)
    expect(page.get_by_role("button", name="Regenerate")).to_have_count(1)

    first = page.locator("#messages > .turn.user").first
    first.get_by_text("Edit", exact=True).click()
    box = first.get_by_role("textbox", name="Edit and send again")
    expect(box).to_be_focused()
    box.fill("Hello again, edited")
    first.get_by_role("button", name="Send edited message").click()
    until_answered(page, 3)
    users = page.locator("#messages > .turn.user")
    expect(users).to_have_count(2)
    expect(users.last).to_contain_text("Hello again, edited")
    expect(users.last.locator(".edit-badge")).to_have_text("edited")
    expect(page.locator(".turn.before-edit")).to_have_count(3)  # the original, two answers
    expect(answers(page).last).to_contain_text("Hello again, edited")
    expect(answers(page).last).not_to_have_class("before-edit")
    assert len(api.threads.runs.list(thread.thread_id).data) == 3
    shoot(page, "chat-after-edit")
    for scheme in ("light", "dark"):  # what the edit set back stays readable
        page.emulate_media(color_scheme=scheme)
        assert serious_axe_violations(page) == [], scheme

    with page.expect_download() as markdown:
        page.get_by_role("link", name="Markdown").click()
    text = Path(markdown.value.path()).read_text()
    assert markdown.value.suggested_filename == "hello-there.md"
    assert text.startswith("# Hello there\n")
    assert text.count(f"## {owner.username}") == 2 and "## Weather helper" in text
    assert "Hello again, edited" in text and "(edited)" in text
    with page.expect_download() as as_json:
        page.get_by_role("link", name="JSON").click()
    data = json.loads(Path(as_json.value.path()).read_text())
    assert [m["role"] for m in data["messages"]] == [
        "user",
        "assistant",
        "assistant",
        "user",
        "assistant",
    ]
    assert data["messages"][3]["edit_of"] == data["messages"][0]["id"]
    assert console == []


def test_copy_the_message_and_a_code_block(
    signed_in: Page, live_server, owner, make_thread, console
):
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    thread = make_thread(owner)
    open_thread(page, live_server, thread)
    message = "Run this:\n\n```python\nprint('hi')\n```"
    send(page, message)
    until_answered(page, 1)
    mine = page.locator("#messages > .turn.user").first

    def clipboard() -> str:
        return page.evaluate("navigator.clipboard.readText()")

    shoot(page, "chat-code")
    mine.get_by_role("button", name="Copy code").click()
    wait_until(lambda: clipboard() == "print('hi')\n", message="the code in the clipboard")
    expect(mine.get_by_role("button", name="Copied")).to_be_visible()
    mine.get_by_role("button", name="Copy", exact=True).click()
    wait_until(lambda: clipboard() == message, message="the message as written")
    assert console == []


def test_the_tool_card_takes_the_focus_and_ctrl_enter_submits(
    signed_in: Page, live_server, owner, make_thread, console
):
    page = signed_in
    thread = make_thread(owner)
    open_thread(page, live_server, thread)
    send(page, "What is the weather? get_weather city=Paris")
    output = page.get_by_label("Output of get_weather")
    expect(output).to_be_focused()
    page.keyboard.type('{"sky": "clear", "temperature_c": 21}')
    page.keyboard.press("Control+Enter")
    until_answered(page, 1)
    expect(page.locator(".tool-calls")).to_have_count(0)
    expect(composer(page)).to_be_focused()
    record = thread.runs.get()
    assert record.status == "completed"
    assert record.tool_outputs.get().output == '{"sky": "clear", "temperature_c": 21}'
    assert console == []


def test_the_model_picker_sends_the_chosen_model(
    signed_in: Page, live_server, owner, api, make_thread, chat_model, console
):
    page = signed_in
    thread = make_thread(owner)
    open_thread(page, live_server, thread)
    picker = page.get_by_label("Model", exact=True)
    expect(picker.locator("option:checked")).to_have_text("demo (the assistant's model)")
    picker.select_option(chat_model)
    send(page, "Hello from the picker")
    until_answered(page, 1)
    record = thread.runs.get()
    run = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    assert run.model == chat_model
    expect(picker).to_have_value(chat_model)  # kept for the next message
    assert console == []
