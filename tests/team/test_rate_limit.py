"""Requests per engine key are rate limited: 429 in the API's format, with Retry-After."""

import time

import httpx
import openai
import pytest

from engine.auth import dashboard_key
from engine.models import EngineKey

# The SDK marks its Assistants API (beta) deprecated; using it is the point here.
pytestmark = [
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def limit(settings):
    settings.ENGINE_RATE_LIMIT_REQUESTS = 3
    settings.ENGINE_RATE_LIMIT_WINDOW_SECONDS = 60
    return settings


def get(live_server, key: str) -> httpx.Response:
    return httpx.get(live_server.url + "/v1/assistants", headers={"Authorization": f"Bearer {key}"})


def test_over_the_limit_is_429_with_retry_after(live_server, limit):
    _, raw = EngineKey.issue("busy")
    assert [get(live_server, raw).status_code for _ in range(3)] == [200, 200, 200]
    refused = get(live_server, raw)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["x-request-id"].startswith("req_")
    error = refused.json()["error"]
    assert error["code"] == "rate_limit_exceeded" and error["type"] == "requests"
    assert "3 requests per 60 s" in error["message"] and raw not in error["message"]
    # The SDK sees its RateLimitError.
    api = openai.OpenAI(base_url=live_server.url + "/v1", api_key=raw, max_retries=0)
    with api, pytest.raises(openai.RateLimitError) as caught:
        api.beta.assistants.list()
    assert caught.value.status_code == 429 and caught.value.code == "rate_limit_exceeded"


def test_each_key_has_its_own_count_and_the_dashboard_none(live_server, limit):
    _, first = EngineKey.issue("first")
    _, second = EngineKey.issue("second")
    for _ in range(3):
        get(live_server, first)
    assert get(live_server, first).status_code == 429
    assert get(live_server, second).status_code == 200
    assert all(get(live_server, dashboard_key()).status_code == 200 for _ in range(5))


def test_zero_turns_the_limit_off(live_server, limit):
    limit.ENGINE_RATE_LIMIT_REQUESTS = 0
    _, raw = EngineKey.issue("unlimited")
    assert {get(live_server, raw).status_code for _ in range(6)} == {200}


def test_the_sdk_waits_as_told_and_gets_through(live_server, settings):
    settings.ENGINE_RATE_LIMIT_REQUESTS = 2
    settings.ENGINE_RATE_LIMIT_WINDOW_SECONDS = 1
    _, raw = EngineKey.issue("patient")
    with openai.OpenAI(base_url=live_server.url + "/v1", api_key=raw, max_retries=3) as api:
        started = time.monotonic()
        for _ in range(5):
            api.beta.assistants.list()
    # Five calls at two a second span three windows: it must have waited for them.
    assert time.monotonic() - started >= 1.0
