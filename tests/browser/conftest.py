"""Browser tests: Debian's Chromium against the live server, the built-in engine and the demo."""

import pytest
from playwright.sync_api import Page

from tests.browser.support import console_errors, sign_in


@pytest.fixture
def signed_in(page: Page, live_server, owner, engine) -> Page:
    """`page`, signed in as the owner through the login form."""
    sign_in(page, live_server.url, owner.username)
    return page


@pytest.fixture
def console(signed_in: Page) -> list[str]:
    """Console errors and uncaught exceptions on the page (a test ends by asserting none)."""
    return console_errors(signed_in)
