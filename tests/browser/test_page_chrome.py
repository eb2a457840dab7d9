"""The page chrome in Chromium (static/js/ui.js): the top links fold behind "Menu" on a phone,
and a multiple choice is a search box, a list to tick and chips of what is chosen."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.support import upload_to_library

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_top_links_fold_behind_a_menu_on_a_phone(signed_in: Page):
    page = signed_in
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    files = nav.get_by_role("link", name="Files")

    expect(menu).to_be_hidden()  # a wide screen shows the links themselves
    expect(files).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    expect(menu).to_be_visible()
    expect(files).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(files).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    page.keyboard.press("Escape")
    expect(files).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()

    menu.click()
    files.click()
    expect(page.get_by_role("heading", name="Files", exact=True)).to_be_visible()


def test_pick_files_by_searching_and_see_them_as_chips(signed_in: Page, live_server, owner):
    page = signed_in
    upload_to_library(
        owner,
        SimpleUploadedFile("handbook.txt", b"Our offices open at nine.\n"),
        SimpleUploadedFile("prices.csv", b"item,price\ntea,2\n"),
    )

    page.goto(live_server.url + reverse("vector_store_create"))
    page.get_by_label("Name", exact=True).fill("Office")
    # The field's label now names the search box.
    search = page.get_by_role("searchbox", name="Files already uploaded")
    options = page.get_by_role("group", name="Choices: Files already uploaded")
    chosen = page.get_by_role("list", name="Chosen")

    search.fill("hand")
    expect(options.get_by_label("handbook.txt")).to_be_visible()
    expect(options.get_by_label("prices.csv")).to_be_hidden()
    search.press("Enter")  # the only match is ticked, the form is not sent
    expect(options.get_by_label("handbook.txt")).to_be_checked()
    expect(chosen.get_by_role("listitem")).to_have_count(1)
    expect(chosen.get_by_role("listitem")).to_contain_text("handbook.txt")

    search.fill("")
    options.get_by_label("prices.csv").check()
    expect(chosen.get_by_role("listitem")).to_have_count(2)
    chosen.get_by_role("button", name="Remove prices.csv").click()
    expect(options.get_by_label("prices.csv")).not_to_be_checked()
    expect(chosen.get_by_role("listitem")).to_have_count(1)

    page.get_by_role("button", name="Create the vector store").click()
    files_table = page.locator("#ingestion")
    expect(files_table).to_contain_text("handbook.txt")
    expect(files_table).not_to_contain_text("prices.csv")
