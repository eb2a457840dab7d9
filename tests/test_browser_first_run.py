import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_installation_setup_logout_login(live_server, page: Page):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/setup/")
    expect(page.get_by_role("heading", name="Create the administrator account")).to_be_visible()

    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase")
    page.get_by_label("Password again").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Create the administrator account").click()

    expect(page.get_by_text("Your administrator account is ready.")).to_be_visible()
    expect(page.get_by_role("link", name="Admin", exact=True)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server.url + "/login/")
    page.goto(live_server.url + "/setup/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome to Assistant Studio")).to_be_visible()
