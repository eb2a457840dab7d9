"""Fixtures for the API client tests: a client whose waits are recorded instead of slept.

HTTP is faked only at the client's boundary (respx replaces httpx's transport); the client code
itself runs unchanged. Waiting is injected (`sleep`, `monotonic` constructor arguments), so
backoff and deadlines are checked exactly and instantly.
"""

from __future__ import annotations

import pytest

from assistants_app.services import AssistantsClient

BASE_URL = "https://api.test/v1"


class FakeClock:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock):
    with AssistantsClient(
        base_url=BASE_URL, api_key="sk-test", sleep=clock.sleep, monotonic=clock.monotonic
    ) as client:
        yield client


def url(path: str) -> str:
    return f"{BASE_URL}/{path}"


def run_json(run_id: str = "run_1", status: str = "queued", **extra) -> dict:
    return {
        "id": run_id,
        "object": "thread.run",
        "created_at": 1,
        "thread_id": "thread_1",
        "assistant_id": "asst_1",
        "status": status,
        "model": "demo",
        "instructions": "",
        "tools": [],
        "parallel_tool_calls": True,
        **extra,
    }


def message_json(message_id: str, text: str = "hello", **extra) -> dict:
    return {
        "id": message_id,
        "object": "thread.message",
        "created_at": 1,
        "thread_id": "thread_1",
        "role": "user",
        "content": [{"type": "text", "text": {"value": text, "annotations": []}}],
        "metadata": {},
        **extra,
    }
