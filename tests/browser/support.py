"""Helpers for the browser tests (plain functions; the fixtures are in conftest.py)."""

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def sign_in(
    page: Page, base: str, username: str, password: str = PASSWORD, *, timeout_ms: int = 15_000
) -> None:
    """Sign in as `username` through the login form of the server at `base`; the page and
    `expect` wait up to `timeout_ms` from then on (room for a loaded machine)."""
    page.set_default_timeout(timeout_ms)
    expect.set_options(timeout=timeout_ms)
    page.goto(base + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome to Assistant Studio")).to_be_visible()


def console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions on `page` from now on (a test ends by asserting
    none)."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen
