"""runs.poll and the *_and_poll helpers: fast first checks, backoff to ~2 s, the backend's
openai-poll-after-ms, and an overall deadline (time is the fixture's fake clock)."""

from __future__ import annotations

import json

import httpx
import pytest

from assistants_app.services import PollTimeoutError

from .conftest import run_json, url

RUN_URL = url("threads/thread_1/runs/run_1")


def statuses(*names: str, headers: dict | None = None) -> list[httpx.Response]:
    return [httpx.Response(200, json=run_json(status=name), headers=headers) for name in names]


def test_poll_returns_when_the_run_completes(client, clock, respx_mock):
    route = respx_mock.get(RUN_URL).mock(
        side_effect=statuses("queued", "in_progress", "in_progress", "completed")
    )
    run = client.threads.runs.poll("run_1", thread_id="thread_1")
    assert run.status == "completed"
    assert route.call_count == 4
    assert clock.sleeps == pytest.approx([0.01, 0.015, 0.0225])
    assert route.calls.last.request.headers["X-Stainless-Poll-Helper"] == "true"


@pytest.mark.parametrize(
    "stop", ["requires_action", "failed", "cancelled", "expired", "incomplete"]
)
def test_poll_stops_on_every_stop_status(client, respx_mock, stop):
    respx_mock.get(RUN_URL).mock(side_effect=statuses("in_progress", stop))
    assert client.threads.runs.poll("run_1", thread_id="thread_1").status == stop


def test_poll_backs_off_to_about_two_seconds(client, clock, respx_mock):
    respx_mock.get(RUN_URL).mock(side_effect=statuses(*["in_progress"] * 15, "completed"))
    client.threads.runs.poll("run_1", thread_id="thread_1")
    assert clock.sleeps[0] <= 0.1
    assert all(b >= a for a, b in zip(clock.sleeps, clock.sleeps[1:], strict=False))
    assert clock.sleeps[-1] == 2.0
    assert max(clock.sleeps) == 2.0


def test_a_short_poll_after_ms_keeps_checks_at_that_pace(client, clock, respx_mock):
    moving = statuses(*["in_progress"] * 9, headers={"openai-poll-after-ms": "100"})
    respx_mock.get(RUN_URL).mock(side_effect=moving + statuses("completed"))
    client.threads.runs.poll("run_1", thread_id="thread_1")
    # The fast start ramps up as usual, then stays at the backend's 100 ms instead of 2 s.
    assert clock.sleeps == pytest.approx(
        [0.01, 0.015, 0.0225, 0.03375, 0.050625, 0.0759375, 0.1, 0.1, 0.1]
    )


def test_a_long_poll_after_ms_slows_checks_down(client, clock, respx_mock):
    respx_mock.get(RUN_URL).mock(
        side_effect=statuses("queued", "in_progress", headers={"openai-poll-after-ms": "5000"})
        + statuses("completed")
    )
    client.threads.runs.poll("run_1", thread_id="thread_1")
    assert clock.sleeps == [5.0, 5.0]


def test_an_explicit_poll_interval_wins(client, clock, respx_mock):
    route = respx_mock.get(RUN_URL).mock(side_effect=statuses("queued", "queued", "completed"))
    client.threads.runs.poll("run_1", thread_id="thread_1", poll_interval_ms=20)
    assert clock.sleeps == [0.02, 0.02]
    assert route.calls.last.request.headers["X-Stainless-Custom-Poll-Interval"] == "20"


def test_a_misspelt_polling_setting_is_refused_before_any_check(client, respx_mock):
    route = respx_mock.get(RUN_URL).mock(side_effect=statuses("completed"))
    with pytest.raises(TypeError, match="poll_timout"):
        client.threads.runs.poll("run_1", thread_id="thread_1", poll_timout=5.0)
    assert not route.called


def test_poll_gives_up_at_the_deadline_with_a_clear_error(client, clock, respx_mock):
    route = respx_mock.get(RUN_URL).mock(
        side_effect=lambda request: httpx.Response(200, json=run_json(status="in_progress"))
    )
    started = clock.now
    with pytest.raises(PollTimeoutError) as caught:
        client.threads.runs.poll("run_1", thread_id="thread_1", poll_timeout=5.0)
    assert clock.now - started == pytest.approx(5.0)  # the last check is at the deadline
    assert caught.value.run.status == "in_progress"
    assert "still 'in_progress' after 5.0 s" in caught.value.message
    assert route.call_count == len(clock.sleeps) + 1


def test_create_and_poll(client, clock, respx_mock):
    create = respx_mock.post(url("threads/thread_1/runs")).respond(json=run_json())
    respx_mock.get(RUN_URL).mock(side_effect=statuses("in_progress", "completed"))
    run = client.threads.runs.create_and_poll("thread_1", assistant_id="asst_1", temperature=0.5)
    assert run.status == "completed"
    assert json.loads(create.calls.last.request.read()) == {
        "assistant_id": "asst_1",
        "temperature": 0.5,
    }


def test_submit_tool_outputs_and_poll(client, clock, respx_mock):
    submit = respx_mock.post(f"{RUN_URL}/submit_tool_outputs").respond(
        json=run_json(status="queued")
    )
    respx_mock.get(RUN_URL).mock(side_effect=statuses("in_progress", "completed"))
    run = client.threads.runs.submit_tool_outputs_and_poll(
        "run_1", thread_id="thread_1", tool_outputs=[{"tool_call_id": "call_1", "output": "7"}]
    )
    assert run.status == "completed"
    assert submit.call_count == 1


def test_a_request_timeout_and_a_poll_deadline_go_together(client, clock, respx_mock):
    # `timeout` is each request's HTTP timeout, as on every method; `poll_timeout` the deadline.
    submit = respx_mock.post(url("threads/thread_1/runs/run_1/submit_tool_outputs")).respond(
        json=run_json(status="queued")
    )
    check = respx_mock.get(RUN_URL).mock(side_effect=statuses("completed"))
    run = client.threads.runs.submit_tool_outputs_and_poll(
        "run_1",
        thread_id="thread_1",
        tool_outputs=[{"tool_call_id": "call_1", "output": "ok"}],
        timeout=5,
        poll_timeout=30,
    )
    assert run.status == "completed"
    for route in (submit, check):
        assert route.calls.last.request.extensions["timeout"]["read"] == 5
