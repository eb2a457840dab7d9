"""The team pages in Chromium: an administrator adds a person with a one-time link, the person
sets a password through it and is in; a thread shared with the team is read by a teammate."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_person_who_sets_a_password_through_the_link(
    page: Page, browser: Browser, live_server, admin_user
):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server.url, admin_user.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Email").fill("nadia@example.com")
    page.get_by_label("A one-time link to set their own password").check()
    page.get_by_role("button", name="Add").click()
    link = page.get_by_label("Set-password link").input_value()
    assert re.match(rf"{live_server.url}/set-password/\w+/[\w-]+/$", link)

    other = browser.new_context()
    nadia = other.new_page()
    nadia.goto(link)
    expect(nadia.get_by_role("heading", name="Choose your password")).to_be_visible()
    nadia.get_by_label("New password", exact=True).fill("nadia's own passphrase")
    nadia.get_by_label("New password confirmation").fill("nadia's own passphrase")
    nadia.get_by_role("button", name="Set the password").click()
    expect(nadia.get_by_role("heading", name="Welcome to Assistant Studio")).to_be_visible()
    expect(nadia.get_by_role("link", name="Team")).to_have_count(0)  # a member
    other.close()
    assert not [e for e in errors if "Content Security Policy" in e]


def test_share_a_thread_read_only(page: Page, browser: Browser, live_server, owner, teammate, api):
    from assistants_app.models import Connection, ThreadRecord

    assistant = api.assistants.create(model="demo", name="Planner")
    thread = ThreadRecord.objects.create(
        connection=Connection.objects.default(),
        thread_id=api.threads.create(messages=[{"role": "user", "content": "Plan a trip"}]).id,
        owner=owner,
        assistant_id=assistant.id,
        assistant_name="Planner",
        title="Trip to Lisbon",
    )
    sign_in(page, live_server.url, owner.username)
    page.goto(live_server.url + thread.get_absolute_url())
    page.get_by_label("Who can see it").select_option("team_read")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("The team can now read this thread, but not write in it.")
    ).to_be_visible()

    other = browser.new_context()
    tomas = other.new_page()
    sign_in(tomas, live_server.url, teammate.username)
    tomas.get_by_role("navigation", name="Main").get_by_role("link", name="Threads").click()
    shared = tomas.locator("#shared-threads")
    expect(shared).to_contain_text("Trip to Lisbon")
    expect(shared).to_contain_text("olivia")
    shared.get_by_role("link", name="Trip to Lisbon").click()
    expect(tomas.get_by_text("Plan a trip")).to_be_visible()
    expect(tomas.get_by_text("Shared with the team by olivia, read-only.")).to_be_visible()
    expect(tomas.get_by_role("textbox", name="Message")).to_have_count(0)
    other.close()
