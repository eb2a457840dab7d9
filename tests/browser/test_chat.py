"""The chat pane in Chromium: tool-call cards, outputs, run steps, cancel, safe rendering."""

import pytest
from playwright.sync_api import Page, expect

from tests.support import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start_chat(page: Page, live_server, assistant) -> None:
    page.goto(f"{live_server.url}/assistants/{assistant.id}/")
    page.get_by_role("button", name="Chat with this assistant").click()
    expect(page.get_by_text("No messages yet.")).to_be_visible()


def composer(page: Page):
    return page.get_by_role("textbox", name="Message")


def refresh_until(page: Page, done) -> None:
    """No polling without JavaScript: as a person would, look, and follow Refresh until `done()`."""

    def looked() -> bool:
        if done():
            return True
        page.get_by_role("link", name="Refresh").click()
        return False

    wait_until(looked, timeout=15, interval=0.1, message="the page to show it after a Refresh")


def test_tool_call_card_output_and_reply(signed_in: Page, live_server, weather_assistant):
    page = signed_in
    start_chat(page, live_server, weather_assistant)

    box = composer(page)
    box.fill("What is the weather like?")
    box.press("Shift+Enter")  # a new line, not a send
    box.press_sequentially("get_weather city=Paris")
    expect(box).to_have_value("What is the weather like?\nget_weather city=Paris")
    box.press("Enter")

    card = page.locator(".tool-call")
    expect(card.get_by_role("heading", name="get_weather")).to_be_visible()
    expect(card.locator("pre")).to_have_text('{\n  "city": "Paris"\n}')
    expect(page.get_by_text("left before this run expires")).to_be_visible()
    expect(composer(page)).to_be_disabled()
    expect(page.get_by_text("The assistant is waiting for the tool outputs above.")).to_be_visible()

    output = card.get_by_label("Output of get_weather")
    output.fill("sunny and 24 degrees")
    expect(page.get_by_text("This is not JSON; it will be sent as plain text.")).to_be_visible()
    page.get_by_role("button", name="Submit outputs").click()

    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text("get_weather returned: sunny and 24 degrees")
    expect(composer(page)).to_be_enabled()
    expect(
        page.get_by_role("heading", name="What is the weather like? get_weather city=Paris")
    ).to_be_visible()

    page.locator("summary", has_text="Run steps").last.click()
    steps = page.locator(".steps-panel").last
    expect(steps).to_contain_text("Tool calls")
    expect(steps).to_contain_text("submitted by olivia")
    expect(steps).to_contain_text('"city": "Paris"')


def test_cancel_a_run(signed_in: Page, live_server, weather_assistant):
    page = signed_in
    start_chat(page, live_server, weather_assistant)
    composer(page).fill("get_weather city=Oslo")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="get_weather", exact=True)).to_be_visible()
    page.get_by_role("button", name="Cancel run").click()
    expect(page.get_by_text("The run was cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    expect(composer(page)).to_be_enabled()


def test_script_in_a_message_and_in_model_output_never_runs(
    signed_in: Page, live_server, weather_assistant
):
    page = signed_in
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    start_chat(page, live_server, weather_assistant)
    attack = '<script>window.pwned = 1; alert(1)</script><img src=x onerror="window.pwned = 2">'
    composer(page).fill(f"Hello {attack}")
    composer(page).press("Enter")

    user_turn = page.locator(".turn.user").last
    expect(user_turn).to_contain_text("<script>window.pwned = 1; alert(1)</script>")
    # The demo model quotes the message back: model output carrying the same markup.
    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text('You said: "Hello <script>window.pwned = 1;')
    expect(reply).to_contain_text('<img src=x onerror="window.pwned = 2">')
    assert page.locator(".turn script, .turn img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert dialogs == []


def test_the_basic_flow_works_without_javascript(browser, live_server, owner, weather_assistant):
    from tests.conftest import PASSWORD

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    start_chat(page, live_server, weather_assistant)
    composer(page).fill("get_weather city=Rome")
    page.get_by_role("button", name="Send").click()
    refresh_until(page, lambda: page.get_by_role("button", name="Submit outputs").count())
    page.get_by_label("Output of get_weather").fill("rainy")
    page.get_by_role("button", name="Submit outputs").click()
    # Until the run has finished: a page loaded mid-answer shows the first words only.
    refresh_until(page, lambda: not page.get_by_role("link", name="Refresh").count())
    expect(page.locator(".turn.assistant").last).to_contain_text("get_weather returned: rainy")
    context.close()
