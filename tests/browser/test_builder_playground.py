"""The builder as a playground, in Chromium: nothing typed is lost, rows change in place, the
parameter form and its JSON agree, a test chat tries unsaved settings, code and JSON out and in,
and History restores a version."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistants_app import audit
from tests.browser.support import sign_in
from tests.support import WEATHER_TOOL, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_builder(page: Page, live_server, assistant) -> None:
    page.goto(f"{live_server.url}/assistants/{assistant.id}/")
    expect(page.get_by_role("heading", name=assistant.name, exact=True)).to_be_visible()


def test_enter_in_name_saves_and_keeps_the_function(
    signed_in: Page, live_server, api, weather_assistant
):
    page = signed_in
    open_builder(page, live_server, weather_assistant)
    name = page.get_by_label("Name", exact=True).first
    name.fill("Weather desk")
    name.press("Enter")

    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_label("Name", exact=True).nth(1)).to_have_value("get_weather")
    saved = api.assistants.retrieve(weather_assistant.id)
    assert saved.name == "Weather desk"
    assert [tool.function.name for tool in saved.tools] == ["get_weather"]


def test_leaving_with_unsaved_changes_asks_first(
    signed_in: Page, live_server, api, weather_assistant
):
    page = signed_in
    open_builder(page, live_server, weather_assistant)
    asked = []

    def dismiss(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    # Nothing changed: leaving does not ask.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Threads").click()
    expect(page).to_have_url(f"{live_server.url}/threads/")
    assert asked == []

    open_builder(page, live_server, weather_assistant)
    page.get_by_label("Instructions", exact=True).fill("Answer in French.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Threads").click()
    expect(page.get_by_label("Instructions", exact=True)).to_have_value("Answer in French.")
    assert asked == ["beforeunload"]
    assert page.url == f"{live_server.url}/assistants/{weather_assistant.id}/"


def stays_on_the_page(page: Page):
    """A marker in the window survives only if the page was not loaded again."""
    page.evaluate("window.__stayed = true")
    return lambda: page.evaluate("window.__stayed === true")


def test_rows_are_added_and_removed_in_place(signed_in: Page, live_server, api, weather_assistant):
    page = signed_in
    open_builder(page, live_server, weather_assistant)
    stayed = stays_on_the_page(page)
    page.get_by_label("Instructions", exact=True).fill("Typed, not saved.")
    add = page.get_by_role("button", name="Add metadata")
    add.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    add.click()
    key = page.get_by_label("Key")
    expect(key).to_be_focused()  # the new row's first field
    assert stayed() and page.evaluate("window.scrollY") == scrolled
    key.fill("team")
    page.get_by_role("button", name="lookup_order").click()
    expect(page.get_by_label("Name", exact=True).nth(2)).to_be_focused()
    expect(page.get_by_label("Name", exact=True).nth(2)).to_have_value("lookup_order")
    page.get_by_role("button", name="Remove function 1").click()
    expect(page.get_by_role("button", name="Remove function 2")).to_have_count(0)
    expect(page.get_by_label("Name", exact=True).nth(1)).to_have_value("lookup_order")
    expect(page.get_by_role("button", name="Add a function")).to_be_focused()
    assert stayed()
    expect(page.get_by_label("Instructions", exact=True)).to_have_value("Typed, not saved.")
    expect(page.get_by_label("Key")).to_have_value("team")

    # Up to 16 metadata rows; then the button gives way to the reason.
    for rows in range(2, 17):
        page.get_by_role("button", name="Add metadata").click()
        expect(page.get_by_label("Key")).to_have_count(rows)
    expect(page.get_by_role("button", name="Add metadata")).to_have_count(0)
    expect(page.locator("#metadata-full")).to_contain_text("as many metadata pairs")
    assert stayed()
    # Nothing was saved by any of it.
    assert api.assistants.retrieve(weather_assistant.id).tools[0].function.name == "get_weather"


def test_parameter_form_and_json_view_round_trip(signed_in: Page, live_server, api):
    page = signed_in
    page.goto(live_server.url + "/assistants/new/")
    page.get_by_label("Name", exact=True).fill("Shop")
    page.get_by_label("Model").fill("demo")
    page.get_by_role("button", name="Add a function").click()
    function = page.get_by_role("region", name="Function 1")
    function.get_by_label("Name", exact=True).fill("place_order")
    function.get_by_role("button", name="Add a parameter").click()
    function.get_by_label("Parameter name").fill("size")
    function.get_by_label("Allowed values").fill("small, large")
    function.get_by_role("checkbox", name="Required").check()
    function.get_by_role("button", name="Add a parameter").click()
    function.get_by_label("Parameter name").nth(1).fill("address")
    function.get_by_label("Type", exact=True).nth(1).select_option("object")
    function.get_by_role("button", name="Add a property").click()  # only the object's shows
    function.get_by_label("Parameter name").nth(2).fill("city")
    function.get_by_role("group", name="Parameter city").get_by_placeholder("What it is").fill(
        "Where to deliver"
    )

    expected = {
        "type": "object",
        "properties": {
            "size": {"type": "string", "enum": ["small", "large"]},
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "Where to deliver"}},
            },
        },
        "required": ["size"],
    }
    function.get_by_role("button", name="JSON", exact=True).click()
    schema = function.get_by_label("Parameters (JSON Schema)")
    assert json.loads(schema.input_value()) == expected
    expect(function.get_by_text("Valid JSON Schema.")).to_be_visible()

    # Edited as JSON, the form shows the change.
    expected["properties"]["address"]["properties"]["zip"] = {"type": "integer"}
    expected["properties"]["address"]["required"] = ["zip"]
    schema.fill(json.dumps(expected))
    function.get_by_role("button", name="Form", exact=True).click()
    expect(function.get_by_label("Parameter name").nth(3)).to_have_value("zip")
    expect(function.get_by_label("Type", exact=True).nth(3)).to_have_value("integer")
    expect(function.get_by_role("checkbox", name="Required").nth(3)).to_be_checked()
    expect(function.get_by_label("Allowed values").first).to_have_value("small, large")

    page.get_by_role("button", name="Create assistant").click()
    expect(page.get_by_text("Created the assistant Shop.")).to_be_visible()
    [assistant] = api.assistants.list().data
    assert assistant.tools[0].function.parameters == expected
    # And it reads back into the form as it was. (PostgreSQL's jsonb keeps object keys in its
    # own order, shorter first, so the nested properties may come back as zip, city.)
    function = page.get_by_role("region", name="Function 1")
    names = function.get_by_label("Parameter name")
    expect(names).to_have_count(4)
    assert sorted(names.nth(i).input_value() for i in range(4)) == [
        "address",
        "city",
        "size",
        "zip",
    ]


def test_json_schema_response_fields_open_at_once(signed_in: Page, live_server):
    page = signed_in
    page.goto(live_server.url + "/assistants/new/")
    expect(page.get_by_label("Schema name")).to_be_hidden()
    page.get_by_label("Response format").select_option("json_schema")
    expect(page.get_by_label("Schema name")).to_be_visible()


def test_try_runs_the_unsaved_settings_and_the_saved_assistant_stays(
    signed_in: Page, live_server, api
):
    page = signed_in
    assistant = api.assistants.create(
        model="demo", name="Tutor", instructions="You are a patient tutor."
    )
    open_builder(page, live_server, assistant)
    chat = page.locator("#test-chat")
    box = chat.get_by_role("textbox", name="Message")
    box.fill("Hello there")
    box.press("Enter")
    replies = chat.locator(".turn.assistant:not(.live)")  # written, not being written
    expect(replies).to_have_count(1)
    expect(replies.last).to_contain_text('my instructions begin: "You are a patient tutor.')

    page.get_by_label("Instructions", exact=True).fill("You are a pirate.")
    box = chat.get_by_role("textbox", name="Message")
    box.fill("Hello again")
    box.press("Enter")
    expect(replies).to_have_count(2)
    expect(replies.last).to_contain_text('my instructions begin: "You are a pirate.')
    expect(page.get_by_label("Instructions", exact=True)).to_have_value(
        "You are a pirate."
    )  # still unsaved
    assert api.assistants.retrieve(assistant.id).instructions == "You are a patient tutor."

    # The test chat is a thread of its own, kept out of My threads until kept.
    from assistants_app.models import ThreadRecord

    [thread] = ThreadRecord.objects.filter(assistant_id=assistant.id)
    assert thread.trial
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Keep this chat").click()
    expect(chat.get_by_text("in My threads")).to_be_visible()
    thread.refresh_from_db()
    assert not thread.trial


def test_the_test_chats_first_message_carries_its_own_options_and_the_forms(
    signed_in: Page, live_server, api, console
):
    from assistants_app.models import ThreadRecord

    page = signed_in
    assistant = api.assistants.create(model="demo", name="Tutor", instructions="Saved words.")
    open_builder(page, live_server, assistant)
    page.get_by_label("Instructions", exact=True).fill("Unsaved words.")
    chat = page.locator("#test-chat")
    chat.get_by_text("Advanced options for this run").click()
    chat.get_by_label("Additional instructions").fill("Be terse.")
    chat.get_by_role("textbox", name="Message").fill("Hello there")
    chat.get_by_role("button", name="Send", exact=True).click()
    # The written reply, not the live turn the stream fills (there before the run exists).
    expect(chat.locator(".turn.assistant:not(.live)")).to_have_count(1)
    [record] = ThreadRecord.objects.get(assistant_id=assistant.id).runs.all()
    assert record.options["instructions"] == "Unsaved words."
    assert record.options["additional_instructions"] == "Be terse."
    expect(page.locator("#composer-reason")).to_have_count(1)
    assert console == []


def test_the_test_chat_works_without_javascript(browser, live_server, owner, engine, api):
    assistant = api.assistants.create(model="demo", name="Tutor", instructions="Saved words.")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, owner.username)
    open_builder(page, live_server, assistant)
    chat = page.locator("#test-chat")
    chat.get_by_role("textbox", name="Message").fill("Hello there")
    chat.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/assistants/{assistant.id}/")

    def answered() -> bool:
        if chat.locator(".turn.assistant").count():
            return True
        page.reload()
        return False

    wait_until(answered, timeout=15, interval=0.1, message="the reply after a reload")
    expect(chat.locator(".turn.assistant")).to_contain_text('instructions begin: "Saved words.')
    context.close()


def test_the_python_snippet_copied_from_the_page_runs(
    signed_in: Page, live_server, api, weather_assistant, tmp_path
):
    from engine.keys import create_key, set_team_access

    page = signed_in
    open_builder(page, live_server, weather_assistant)
    page.get_by_text("Use from code").click()
    code = page.locator("#code-python").text_content()
    assert f'"{live_server.url}/v1"' in code and weather_assistant.id in code
    script = tmp_path / "hello.py"
    script.write_text(code)
    made, key = create_key("snippet test")
    set_team_access(made.id, "read")  # the team's assistants: this one was made on the page
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "OPENAI_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert 'You said: "Hello!"' in done.stdout


def test_export_then_import_makes_the_same_assistant(signed_in: Page, live_server, api):
    page = signed_in
    original = api.assistants.create(
        model="demo",
        name="Order desk",
        description="Answers about orders",
        instructions="Look orders up before answering.",
        tools=[{"type": "code_interpreter"}, WEATHER_TOOL],
        metadata={"team": "support"},
        temperature=0.4,
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "answer",
                "schema": {"type": "object", "properties": {"text": {"type": "string"}}},
            },
        },
    )
    open_builder(page, live_server, original)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export as JSON").click()
    exported = Path(download.value.path()).read_text()
    assert json.loads(exported)["id"] == original.id

    page.goto(live_server.url + "/assistants/new/")
    page.get_by_role("link", name="import one from JSON").click()
    page.get_by_label("Paste the JSON").fill(exported)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported the assistant Order desk.")).to_be_visible()

    copy = next(a for a in api.assistants.list().data if a.id != original.id)
    fields = set(audit.ASSISTANT_FIELDS) - {"tool_resources"}
    assert copy.model_dump(include=fields) == original.model_dump(include=fields)


def test_import_checks_like_the_form_and_shows_field_errors(signed_in: Page, live_server, api):
    page = signed_in
    page.goto(live_server.url + "/assistants/import/")
    page.get_by_label("Paste the JSON").fill("{not json")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("This is not valid JSON (line 1, column 2).")).to_be_visible()

    bad = {
        "model": "demo",
        "name": "N" * 300,
        "tools": [{"type": "function", "function": {"name": "has space"}}],
    }
    page.get_by_label("Paste the JSON").fill(json.dumps(bad))
    page.get_by_role("button", name="Import").click()
    expect(
        page.get_by_text("Ensure this value has at most 256 characters (it has 300).")
    ).to_be_visible()
    expect(page.get_by_text("Use 1 to 64 letters, digits, underscores or dashes")).to_be_visible()
    assert api.assistants.list().data == []
    # Corrected in the builder, it is created from there.
    page.get_by_label("Name", exact=True).first.fill("Fixed")
    page.get_by_label("Name", exact=True).nth(1).fill("has_no_space")
    page.get_by_role("button", name="Create assistant").click()
    expect(page.get_by_text("Created the assistant Fixed.")).to_be_visible()


def test_restore_a_version_from_the_history(signed_in: Page, live_server, api):
    page = signed_in
    page.goto(live_server.url + "/assistants/new/")
    page.get_by_label("Name", exact=True).fill("First name")
    page.get_by_label("Model").fill("demo")
    page.get_by_label("Instructions", exact=True).fill("Version one.")
    page.get_by_role("button", name="Create assistant").click()
    expect(page.get_by_text("Created the assistant First name.")).to_be_visible()
    page.get_by_label("Instructions", exact=True).fill("Version two.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    page.get_by_role("link", name="History").click()
    expect(page.locator(".from", has_text="Version one.")).to_be_visible()
    expect(page.locator(".to", has_text="Version two.")).to_be_visible()
    page.get_by_role("button", name="Restore this version").click()
    expect(page.get_by_text("Restored the version of")).to_be_visible()
    [assistant] = api.assistants.list().data
    assert assistant.instructions == "Version one."
    page.get_by_role("link", name="First name").click()
    expect(page.get_by_label("Instructions", exact=True)).to_have_value("Version one.")
