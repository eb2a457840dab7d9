"""Browser tests: Debian's Chromium against the live server, the built-in engine and the demo."""

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.dashboard.conftest import WEATHER_TOOL

__all__ = ["WEATHER_TOOL"]


@pytest.fixture
def engine(live_server, settings, engine_worker) -> str:
    settings.ENGINE_BASE_URL = live_server.url + "/v1"
    cache.clear()
    yield settings.ENGINE_BASE_URL
    cache.clear()


@pytest.fixture
def api(engine):
    from assistants_app.models import Connection
    from assistants_app.services import client_for

    return client_for(Connection.objects.default())


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
def weather_assistant(api):
    return api.assistants.create(
        model="demo", name="Weather helper", instructions="Answer briefly.", tools=[WEATHER_TOOL]
    )
