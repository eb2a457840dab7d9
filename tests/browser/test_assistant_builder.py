"""Building an assistant through the form, in Chromium."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_an_assistant_with_a_function_tool(signed_in: Page, live_server, api):
    page = signed_in
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assistants").click()
    expect(page.get_by_role("heading", name="No assistants yet")).to_be_visible()
    page.get_by_role("link", name="Create your first assistant").click()

    page.get_by_label("Name", exact=True).fill("Trip planner")
    page.get_by_label("Model").fill("demo")
    page.get_by_label("Instructions").fill("Plan trips. Ask for the weather first.")
    expect(page.get_by_text("38 / 256,000 characters")).to_be_visible()  # live count
    page.get_by_role("button", name="get_weather").click()  # starter template
    expect(page.get_by_label("Name", exact=True).nth(1)).to_have_value("get_weather")
    expect(page.get_by_label("Name", exact=True).first).to_have_value("Trip planner")  # kept
    page.get_by_label("Temperature", exact=True).fill("0.7")
    page.get_by_role("button", name="Create assistant").click()

    expect(page.get_by_text("Created the assistant Trip planner.")).to_be_visible()
    expect(page.get_by_role("button", name="Chat with this assistant")).to_be_visible()
    [assistant] = api.assistants.list().data
    assert assistant.name == "Trip planner" and assistant.temperature == 0.7
    assert assistant.tools[0].function.name == "get_weather"
    assert assistant.tools[0].function.parameters["required"] == ["location"]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assistants").click()
    row = page.get_by_role("row", name="Trip planner")
    expect(row).to_contain_text("ƒ get_weather")
    expect(row).to_contain_text("by olivia")


def test_field_errors_for_a_long_name_and_an_invalid_schema(signed_in: Page, live_server, api):
    page = signed_in
    page.goto(live_server.url + "/assistants/new/")
    page.get_by_role("button", name="Add a function").click()
    page.get_by_label("Name", exact=True).first.fill("N" * 300)
    expect(page.get_by_text("300 / 256 characters")).to_be_visible()
    page.get_by_label("Model").fill("demo")
    page.get_by_label("Name", exact=True).nth(1).fill("lookup")
    page.get_by_role("button", name="JSON", exact=True).click()  # the schema as text
    schema = page.get_by_label("Parameters (JSON Schema)")
    schema.fill('{"type": "object", "properties": {"id": {"type": "strnig"}}}')
    # The live check says where it is wrong while typing…
    expect(page.get_by_text("not a valid JSON Schema at $.properties.id.type")).to_be_visible()
    page.get_by_role("button", name="Create assistant").click()

    # …and so does the server, next to each field, with everything typed kept.
    expect(
        page.get_by_text("Ensure this value has at most 256 characters (it has 300).")
    ).to_be_visible()
    expect(
        page.locator(".field-error", has_text="not a valid JSON Schema at $.properties.id.type")
    ).to_be_visible()
    expect(page.get_by_label("Name", exact=True).nth(1)).to_have_value("lookup")
    assert api.assistants.list().data == []
