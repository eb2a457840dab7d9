"""Browser tests: Debian's Chromium against the live server, the built-in engine and the demo."""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


@pytest.fixture
def signed_in(page: Page, live_server, owner, engine) -> Page:
    """`page`, signed in as the owner through the login form."""
    page.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome to Assistant Studio")).to_be_visible()
    return page


@pytest.fixture
def console(signed_in: Page) -> list[str]:
    """Console errors and uncaught exceptions on the page (a test ends by asserting none)."""
    seen: list[str] = []
    signed_in.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    signed_in.on("pageerror", lambda error: seen.append(str(error)))
    return seen
