"""The builder as a playground, in Chromium: nothing typed is lost, rows change in place, the
parameter form and its JSON agree, a test chat tries unsaved settings, code and JSON out and in,
and History restores a version."""

import pytest
from playwright.sync_api import Page, expect

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
    page.get_by_label("Instructions").fill("Answer in French.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Threads").click()
    expect(page.get_by_label("Instructions")).to_have_value("Answer in French.")
    assert asked == ["beforeunload"]
    assert page.url == f"{live_server.url}/assistants/{weather_assistant.id}/"
