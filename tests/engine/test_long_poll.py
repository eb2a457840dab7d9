"""The SDK's pollers see a quick run finish in one retrieve: a retrieve sent by a poll helper
(create_and_poll, create_and_run_poll, submit_tool_outputs_and_poll, poll) of a run queued or
in progress waits, for a bounded time after the run was queued, until the worker settles it.
Everything else answers at once: plain retrieves, and polls of runs older than the bound."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from openai import OpenAI

from engine.models import Run
from engine.views.runs import POLL_HELPER
from tests.fakes.chat_server import Reply
from tests.support import wait_until, weather_tool

POLLING = {POLL_HELPER: "true"}


@contextmanager
def counting_client(engine_url: str, engine_key: str, *, timeout: float) -> Iterator:
    """An SDK client and the list of (method, path) of every request it sends."""
    sent: list[tuple[str, str]] = []

    def record(request: httpx.Request) -> None:
        sent.append((request.method, request.url.path))

    http = httpx.Client(event_hooks={"request": [record]})
    with OpenAI(
        base_url=engine_url, api_key=engine_key, max_retries=0, timeout=timeout, http_client=http
    ) as sdk:
        yield sdk, sent


def retrieves(sent: list[tuple[str, str]], run_id: str) -> int:
    return sum(method == "GET" and path.endswith(f"/runs/{run_id}") for method, path in sent)


@pytest.fixture
def tutor(openai_client):
    return openai_client.beta.assistants.create(
        name="Tutor", instructions="Answer briefly.", model="demo"
    )


def ask(client, text: str = "What is 2 + 2?"):
    return client.beta.threads.create(messages=[{"role": "user", "content": text}])


def test_create_and_poll_sees_a_quick_run_complete_in_one_retrieve(
    settings, engine_url, engine_key, engine_worker, tutor
):
    # A bound far above a demo run: the first retrieve must end because the worker woke it.
    settings.ENGINE_RUN_WAIT_MS = 20_000
    with counting_client(engine_url, engine_key, timeout=30) as (sdk, sent):
        thread = ask(sdk)
        started = time.monotonic()
        run = sdk.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=tutor.id)
        waited = time.monotonic() - started
    assert run.status == "completed"
    assert retrieves(sent, run.id) == 1  # before: queued, then a sleep of the hint, then again
    assert waited < 10, "the retrieve ran out its bound instead of being woken by the worker"


def test_create_and_run_poll_and_submit_tool_outputs_and_poll_wait_too(
    settings, engine_url, engine_key, engine_worker, openai_client
):
    settings.ENGINE_RUN_WAIT_MS = 20_000
    forecaster = openai_client.beta.assistants.create(
        model="demo", name="Forecaster", tools=[weather_tool("location")]
    )
    with counting_client(engine_url, engine_key, timeout=30) as (sdk, sent):
        waiting = sdk.beta.threads.create_and_run_poll(
            assistant_id=forecaster.id,
            thread={"messages": [{"role": "user", "content": "get_weather location=Oslo"}]},
        )
        assert waiting.status == "requires_action"
        assert retrieves(sent, waiting.id) == 1
        call = waiting.required_action.submit_tool_outputs.tool_calls[0]
        done = sdk.beta.threads.runs.submit_tool_outputs_and_poll(
            run_id=waiting.id,
            thread_id=waiting.thread_id,
            tool_outputs=[{"tool_call_id": call.id, "output": "12 degrees"}],
        )
    assert done.status == "completed"
    assert retrieves(sent, waiting.id) == 2


def test_a_plain_retrieve_answers_at_once(settings, engine_url, engine_key, tutor):
    # No worker: the run stays queued. A wait would outlast the client's 5 s timeout.
    settings.ENGINE_RUN_WAIT_MS = 60_000
    with counting_client(engine_url, engine_key, timeout=5) as (sdk, _):
        thread = ask(sdk)
        run = sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=tutor.id)
        again = sdk.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert again.status == "queued"


def test_a_poll_of_an_old_run_answers_at_once(settings, engine_url, engine_key, tutor):
    settings.ENGINE_RUN_WAIT_MS = 60_000
    with counting_client(engine_url, engine_key, timeout=5) as (sdk, _):
        thread = ask(sdk)
        run = sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=tutor.id)
        # Queued two minutes ago: past the bound, so pollers get its state without waiting.
        Run.objects.filter(pk=run.id).update(queued_at=timezone.now() - timedelta(minutes=2))
        raw = sdk.beta.threads.runs.with_raw_response.retrieve(
            run.id, thread_id=thread.id, extra_headers=POLLING
        )
    assert raw.parse().status == "queued"
    assert raw.headers["openai-poll-after-ms"] == str(settings.ENGINE_POLL_AFTER_MS)


def test_a_poll_of_a_long_run_returns_within_the_bound(
    settings, engine_url, engine_key, engine_worker, chat_model, chat_server, openai_client
):
    settings.ENGINE_RUN_WAIT_MS = 300
    # Ten chunks a second apart: the run writes (and wakes the waiting retrieve) as it goes.
    chat_server.script(Reply(text="x" * 30, chunk_size=3, delay=1.0))
    assistant = openai_client.beta.assistants.create(model=chat_model, name="Slow")
    with counting_client(engine_url, engine_key, timeout=5) as (sdk, _):
        thread = ask(sdk)
        run = sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        wait_until(lambda: Run.objects.get(pk=run.id).status == Run.IN_PROGRESS)
        raw = sdk.beta.threads.runs.with_raw_response.retrieve(
            run.id, thread_id=thread.id, extra_headers=POLLING
        )
        assert raw.parse().status == "in_progress"
        assert raw.headers["openai-poll-after-ms"] == str(settings.ENGINE_POLL_AFTER_MS)
        cancelled = sdk.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert cancelled.status == "cancelling"
