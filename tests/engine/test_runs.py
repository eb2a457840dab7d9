"""Runs through the official openai SDK over real HTTP, executed by the engine worker on the
demo model: pollers, the function-call loop, steps, the active-run lock, cancel, expiry."""

import json
import threading
from datetime import timedelta

import openai
import pytest
from django.utils import timezone

from engine.models import Run
from tests.support import wait_until, weather_tool

WEATHER = weather_tool("location")


@pytest.fixture
def tutor(openai_client):
    return openai_client.beta.assistants.create(
        name="Math Tutor", instructions="You are a personal math tutor.", model="demo"
    )


@pytest.fixture
def forecaster(openai_client):
    return openai_client.beta.assistants.create(
        name="Forecaster", instructions="Answer about the weather.", model="demo", tools=[WEATHER]
    )


def ask(client, text: str):
    return client.beta.threads.create(messages=[{"role": "user", "content": text}])


def wait_for(client, thread_id, run_id, *statuses):
    run = client.beta.threads.runs.poll(run_id, thread_id=thread_id, poll_interval_ms=20)
    assert run.status in statuses, run
    return run


def test_create_and_poll_answers_on_the_demo_model(openai_client, engine_worker, tutor):
    thread = ask(openai_client, "What is 2 + 2?")
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=tutor.id, poll_interval_ms=20
    )
    assert run.status == "completed"
    assert run.id.startswith("run_") and run.assistant_id == tutor.id
    assert (run.model, run.instructions, run.tools) == (
        "demo",
        "You are a personal math tutor.",
        [],
    )
    assert run.started_at and run.completed_at and run.expires_at is None
    assert run.failed_at is None and run.last_error is None and run.required_action is None
    assert run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens > 0
    assert run.truncation_strategy.type == "auto" and run.parallel_tool_calls is True
    reply = openai_client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert (reply.role, reply.run_id, reply.assistant_id, reply.status) == (
        "assistant",
        run.id,
        tutor.id,
        "completed",
    )
    assert "What is 2 + 2?" in reply.content[0].text.value
    assert "You are a personal math tutor." in reply.content[0].text.value
    steps = openai_client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert [(s.type, s.status) for s in steps] == [("message_creation", "completed")]
    assert steps[0].step_details.message_creation.message_id == reply.id
    assert steps[0].usage.total_tokens == run.usage.total_tokens
    only_run = openai_client.beta.threads.messages.list(thread.id, run_id=run.id).data
    assert [m.id for m in only_run] == [reply.id]


def test_run_overrides_and_poll_hint(openai_client, engine_worker, tutor):
    thread = ask(openai_client, "Hello")
    raw = openai_client.beta.threads.runs.with_raw_response.create(
        thread_id=thread.id,
        assistant_id=tutor.id,
        instructions="Speak like a pirate.",
        additional_instructions="Be brief.",
        additional_messages=[{"role": "user", "content": "Second question"}],
        temperature=0.2,
        max_completion_tokens=300,
        truncation_strategy={"type": "last_messages", "last_messages": 1},
        metadata={"origin": "test"},
    )
    assert raw.headers["openai-poll-after-ms"] == "100"
    assert raw.headers["x-request-id"].startswith("req_")
    run = raw.parse()
    assert (run.status, run.instructions, run.temperature) == (
        "queued",
        "Speak like a pirate.",
        0.2,
    )
    assert run.truncation_strategy.last_messages == 1 and run.metadata == {"origin": "test"}
    run = wait_for(openai_client, thread.id, run.id, "completed")
    reply = openai_client.beta.threads.messages.list(thread.id, limit=1).data[0].content[0]
    assert "Second question" in reply.text.value and "Speak like a pirate." in reply.text.value
    texts = [m.content[0].text.value for m in openai_client.beta.threads.messages.list(thread.id)]
    assert texts[1:] == ["Second question", "Hello"]


def test_function_call_loop(openai_client, engine_worker, forecaster):
    thread = ask(openai_client, "What's the weather? Please call get_weather location=Paris")
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=forecaster.id, poll_interval_ms=20
    )
    assert run.status == "requires_action"
    assert run.required_action.type == "submit_tool_outputs"
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert call.id.startswith("call_") and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"location": "Paris"}
    assert run.expires_at - run.created_at in range(590, 611)
    steps = openai_client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert [(s.type, s.status) for s in steps] == [("tool_calls", "in_progress")]
    assert steps[0].step_details.tool_calls[0].function.output is None

    run = openai_client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": call.id, "output": '{"temperature": "21 C"}'}],
        poll_interval_ms=20,
    )
    assert run.status == "completed" and run.required_action is None
    reply = openai_client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert "get_weather returned" in reply.content[0].text.value
    assert "21 C" in reply.content[0].text.value
    steps = openai_client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc")
    assert [(s.type, s.status) for s in steps.data] == [
        ("tool_calls", "completed"),
        ("message_creation", "completed"),
    ]
    assert steps.data[0].step_details.tool_calls[0].function.output == '{"temperature": "21 C"}'
    step = openai_client.beta.threads.runs.steps.retrieve(
        steps.data[0].id, thread_id=thread.id, run_id=run.id
    )
    assert step.model_dump() == steps.data[0].model_dump()


def test_tool_outputs_must_cover_each_call_exactly_once(openai_client, engine_worker, forecaster):
    thread = ask(openai_client, "get_weather location=Oslo")
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=forecaster.id, poll_interval_ms=20
    )
    call_id = run.required_action.submit_tool_outputs.tool_calls[0].id
    bad = [
        ([], "tool_outputs"),
        ([{"tool_call_id": "call_other", "output": "x"}], "tool_outputs[0].tool_call_id"),
        (
            [{"tool_call_id": call_id, "output": "x"}, {"tool_call_id": call_id, "output": "y"}],
            "tool_outputs[1].tool_call_id",
        ),
        ([{"tool_call_id": call_id}], "tool_outputs[0].output"),
    ]
    for outputs, param in bad:
        with pytest.raises(openai.BadRequestError) as error:
            openai_client.beta.threads.runs.submit_tool_outputs(
                run_id=run.id, thread_id=thread.id, tool_outputs=outputs
            )
        assert error.value.body["param"] == param
    assert openai_client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == (
        "requires_action"
    )


def test_create_and_run_poll(openai_client, engine_worker, tutor):
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=tutor.id,
        thread={
            "messages": [{"role": "user", "content": "Explain deep learning to a 5 year old."}]
        },
        poll_interval_ms=20,
    )
    assert run.status == "completed"
    messages = openai_client.beta.threads.messages.list(run.thread_id, order="asc").data
    assert [m.role for m in messages] == ["user", "assistant"]
    assert "deep learning" in messages[1].content[0].text.value


def test_active_run_lock(openai_client, tutor, forecaster):
    # No worker: the run stays queued and holds the thread.
    thread = ask(openai_client, "Hello")
    run = openai_client.beta.threads.runs.create(thread_id=thread.id, assistant_id=tutor.id)
    with pytest.raises(openai.BadRequestError) as error:
        openai_client.beta.threads.messages.create(thread.id, role="user", content="More")
    assert error.value.body["message"] == (
        f"Can't add messages to {thread.id} while a run {run.id} is active."
    )
    with pytest.raises(openai.BadRequestError) as error:
        openai_client.beta.threads.runs.create(thread_id=thread.id, assistant_id=tutor.id)
    assert error.value.body["message"] == f"Thread {thread.id} already has an active run {run.id}."
    # Once the run has ended the thread takes messages again.
    Run.objects.filter(pk=run.id).update(status=Run.COMPLETED)
    openai_client.beta.threads.messages.create(thread.id, role="user", content="More")


def test_concurrent_runs_on_one_thread_one_wins(openai_client, tutor):
    thread = ask(openai_client, "Hello")
    barrier, results = threading.Barrier(4), []

    def start():
        barrier.wait()
        try:
            results.append(
                openai_client.beta.threads.runs.create(thread_id=thread.id, assistant_id=tutor.id)
            )
        except openai.BadRequestError as error:
            results.append(error)

    starters = [threading.Thread(target=start) for _ in range(4)]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert Run.objects.filter(thread_id=thread.id).count() == 1


def test_cancel_a_queued_run(openai_client, tutor, engine_worker):
    engine_worker.stop()  # nobody executes the run until we cancel it
    engine_worker.stopped.wait(10)
    thread = ask(openai_client, "Hello")
    run = openai_client.beta.threads.runs.create(thread_id=thread.id, assistant_id=tutor.id)
    cancelling = openai_client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert cancelling.status == "cancelling"
    from engine.worker import start_in_thread

    worker, worker_thread = start_in_thread(threads=1, poll=0.1)
    try:
        run = wait_for(openai_client, thread.id, run.id, "cancelled")
        assert run.cancelled_at is not None and run.completed_at is None
    finally:
        worker.stop()
        worker_thread.join(10)
    with pytest.raises(openai.BadRequestError) as error:
        openai_client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert error.value.body["message"] == "Cannot cancel run with status 'cancelled'."
    # A cancelled run releases the thread.
    openai_client.beta.threads.messages.create(thread.id, role="user", content="Again")


def test_cancel_a_run_waiting_for_tool_outputs(openai_client, engine_worker, forecaster):
    thread = ask(openai_client, "get_weather location=Rome")
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=forecaster.id, poll_interval_ms=20
    )
    assert run.status == "requires_action"
    assert (
        openai_client.beta.threads.runs.cancel(run.id, thread_id=thread.id).status == "cancelling"
    )
    run = wait_for(openai_client, thread.id, run.id, "cancelled")
    steps = openai_client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert [(s.type, s.status) for s in steps] == [("tool_calls", "cancelled")]
    assert steps[0].cancelled_at is not None
    with pytest.raises(openai.BadRequestError) as error:
        openai_client.beta.threads.runs.submit_tool_outputs(
            run_id=run.id,
            thread_id=thread.id,
            tool_outputs=[{"tool_call_id": "call_x", "output": "late"}],
        )
    assert error.value.body["message"] == 'Runs in status "cancelled" do not accept tool outputs.'


def _travel_past_expiry(run_id: str) -> None:
    # Time travel: the run started waiting eleven minutes ago.
    past = timezone.now() - timedelta(minutes=11)
    Run.objects.filter(pk=run_id).update(
        waiting_since=past, expires_at=past + timedelta(minutes=10)
    )


def test_requires_action_expires_after_ten_minutes(openai_client, forecaster):
    from engine.worker import start_in_thread

    worker, worker_thread = start_in_thread(threads=1, poll=0.05)
    try:
        thread = ask(openai_client, "get_weather location=Lima")
        run = openai_client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=forecaster.id, poll_interval_ms=20
        )
    finally:
        worker.stop()
        worker_thread.join(10)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    _travel_past_expiry(run.id)
    # Expired lazily on read, with no worker running.
    expired = openai_client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert expired.status == "expired" and expired.required_action is None
    step = openai_client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data[0]
    assert step.status == "expired" and step.expired_at is not None
    with pytest.raises(openai.BadRequestError):
        openai_client.beta.threads.runs.submit_tool_outputs(
            run_id=run.id,
            thread_id=thread.id,
            tool_outputs=[{"tool_call_id": call.id, "output": "too late"}],
        )
    # The thread is free again.
    openai_client.beta.threads.messages.create(thread.id, role="user", content="Still there?")


def test_worker_expires_waiting_runs_without_a_read(openai_client, engine_worker, forecaster):
    thread = ask(openai_client, "get_weather location=Kyiv")
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=forecaster.id, poll_interval_ms=20
    )
    _travel_past_expiry(run.id)
    wait_until(
        lambda: Run.objects.get(pk=run.id).status == Run.EXPIRED,
        timeout=10,
        message="the worker to expire the run",
    )


def test_two_concurrent_submissions_exactly_one_accepted(openai_client, engine_worker, forecaster):
    thread = ask(openai_client, "get_weather location=Berlin")
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=forecaster.id, poll_interval_ms=20
    )
    call_id = run.required_action.submit_tool_outputs.tool_calls[0].id
    barrier, outcomes = threading.Barrier(2), []

    def submit(output: str) -> None:
        barrier.wait()
        try:
            openai_client.beta.threads.runs.submit_tool_outputs(
                run_id=run.id,
                thread_id=thread.id,
                tool_outputs=[{"tool_call_id": call_id, "output": output}],
            )
            outcomes.append(("accepted", output))
        except openai.BadRequestError as error:
            outcomes.append(("refused", error.body["message"]))

    submitters = [threading.Thread(target=submit, args=(f"{n} degrees",)) for n in (10, 20)]
    for submitter in submitters:
        submitter.start()
    for submitter in submitters:
        submitter.join()
    accepted = [value for kind, value in outcomes if kind == "accepted"]
    refused = [value for kind, value in outcomes if kind == "refused"]
    assert len(accepted) == 1 and len(refused) == 1
    assert "do not accept tool outputs" in refused[0]
    run = wait_for(openai_client, thread.id, run.id, "completed")
    step = openai_client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc")
    assert step.data[0].step_details.tool_calls[0].function.output == accepted[0]


def test_run_errors(openai_client, tutor):
    thread = ask(openai_client, "Hi")
    with pytest.raises(openai.NotFoundError) as error:
        openai_client.beta.threads.runs.create(thread_id=thread.id, assistant_id="asst_missing")
    assert error.value.body["message"] == "No assistant found with id 'asst_missing'."
    with pytest.raises(openai.NotFoundError) as error:
        openai_client.beta.threads.runs.retrieve("run_missing", thread_id=thread.id)
    assert error.value.body["message"] == "No run found with id 'run_missing'."
    for fields, param in [
        ({"assistant_id": tutor.id, "max_prompt_tokens": 100}, "max_prompt_tokens"),
        ({"assistant_id": tutor.id, "tools": [{"type": "code_interpreter"}] * 21}, "tools"),
        ({"assistant_id": tutor.id, "tool_choice": "sometimes"}, "tool_choice"),
        (
            {"assistant_id": tutor.id, "truncation_strategy": {"type": "first"}},
            "truncation_strategy.type",
        ),
        ({}, "assistant_id"),
    ]:
        with pytest.raises(openai.BadRequestError) as error:
            openai_client.post(f"/threads/{thread.id}/runs", body=fields, cast_to=object)
        assert error.value.body["param"] == param


def test_runs_list_and_modify(openai_client, engine_worker, tutor):
    thread = ask(openai_client, "One")
    first = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=tutor.id, poll_interval_ms=20
    )
    second = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=tutor.id, poll_interval_ms=20
    )
    listed = openai_client.beta.threads.runs.list(thread.id)
    assert [r.id for r in listed.data] == [second.id, first.id]
    updated = openai_client.beta.threads.runs.update(
        first.id, thread_id=thread.id, metadata={"rating": "good"}
    )
    assert updated.metadata == {"rating": "good"} and updated.status == "completed"
    # The second run saw the first run's answer: the demo quotes the latest user message.
    assert len(openai_client.beta.threads.messages.list(thread.id).data) == 3
