"""How a run becomes a conversation for the model, and how the model's answer ends a run:
truncation, token budgets, tool calls with their outputs, JSON modes, provider failures, and
cancelling a run while the model is still streaming."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from engine.executor import PromptTooLong, build_request
from engine.models import Assistant, Message, Run, RunStep, Thread
from tests.fakes.chat_server import Fail, Reply
from tests.support import wait_until


@pytest.fixture
def thread(db):
    return Thread.objects.create()


def make_run(thread, **config):
    assistant = Assistant.objects.create(model="demo", instructions="Be kind.")
    return Run.objects.create(
        thread=thread,
        assistant_id=assistant.id,
        model="demo",
        instructions=config.pop("instructions", "Be kind."),
        **config,
    )


def call_step(run, status: str, call_id: str, name: str, *, output):
    """A tool_calls step of `run` with one function call."""
    call = {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": "{}", "output": output}}  # fmt: skip
    return RunStep.objects.create(
        run=run,
        thread=run.thread,
        assistant_id=run.assistant_id,
        type=RunStep.TOOL_CALLS,
        status=status,
        step_details={"type": "tool_calls", "tool_calls": [call]},
    )


def say(thread, role, text):
    return thread.add_message(role=role, content=Message.text_content(text))


def test_conversation_in_order_with_tool_calls_and_outputs(thread):
    say(thread, "user", "Weather in Paris?")
    run = make_run(thread, additional_instructions="Answer in French.")
    call_step(run, RunStep.COMPLETED, "call_1", "get_weather", output="sunny")
    # An unanswered (cancelled) call of an earlier run never reaches the model.
    call_step(run, RunStep.CANCELLED, "call_2", "x", output=None)
    request = build_request(run)
    assert [(m.role, m.content) for m in request.messages] == [
        ("system", "Be kind.\n\nAnswer in French."),
        ("user", "Weather in Paris?"),
        ("assistant", None),
        ("tool", "sunny"),
    ]
    assert request.messages[2].tool_calls[0].name == "get_weather"
    assert request.messages[3].tool_call_id == "call_1"
    assert request.tools == [] and request.tool_choice is None


def test_last_messages_truncation(thread):
    for n in range(5):
        say(thread, "user" if n % 2 == 0 else "assistant", f"m{n}")
    run = make_run(thread, truncation_strategy={"type": "last_messages", "last_messages": 2})
    assert [m.content for m in build_request(run).messages] == ["Be kind.", "m3", "m4"]


def test_prompt_budget_drops_the_oldest_then_gives_up(thread):
    say(thread, "user", "old " * 400)
    say(thread, "user", "new question")
    run = make_run(thread, max_prompt_tokens=256)
    assert [m.content for m in build_request(run).messages] == ["Be kind.", "new question"]
    say(thread, "user", "huge " * 2000)
    with pytest.raises(PromptTooLong):
        build_request(run)


def test_function_tools_choice_and_format_pass_through(thread):
    say(thread, "user", "hi")
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    run = make_run(
        thread,
        tools=[tool],
        tool_choice={"type": "function", "function": {"name": "lookup"}},
        parallel_tool_calls=False,
        temperature=0.3,
        response_format={"type": "json_object"},
    )
    request = build_request(run)
    assert request.tools == [{"type": "function", "function": tool["function"]}]
    assert request.tool_choice == {"type": "function", "function": {"name": "lookup"}}
    assert request.parallel_tool_calls is False and request.temperature == 0.3
    assert request.response_format == {"type": "json_object"}


def test_json_mode_answers_json(openai_client, engine_worker):
    assistant = openai_client.beta.assistants.create(
        model="demo", response_format={"type": "json_object"}
    )
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Reply in JSON"}]},
        poll_interval_ms=20,
    )
    assert run.status == "completed" and run.response_format.type == "json_object"
    reply = openai_client.beta.threads.messages.list(run.thread_id, limit=1).data[0]
    assert isinstance(json.loads(reply.content[0].text.value), dict)


def test_prompt_over_budget_ends_incomplete(openai_client, engine_worker):
    assistant = openai_client.beta.assistants.create(model="demo")
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "word " * 3000}]},
        max_prompt_tokens=256,
        poll_interval_ms=20,
    )
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_prompt_tokens"


def test_rate_limited_model_fails_the_run(openai_client, engine_worker, chat_model, chat_server):
    chat_server.script(Fail(429, message="slow down", retry_after=1))
    assistant = openai_client.beta.assistants.create(model=chat_model)
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Hi"}]},
        poll_interval_ms=20,
    )
    assert run.status == "failed" and run.last_error.code == "rate_limit_exceeded"
    assert "sk-test-not-a-real-key" not in run.last_error.message


def test_model_cut_short_ends_incomplete(openai_client, engine_worker, chat_model, chat_server):
    chat_server.script(Reply(text="A long answer that", finish_reason="length"))
    assistant = openai_client.beta.assistants.create(model=chat_model)
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Hi"}]},
        poll_interval_ms=20,
    )
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_completion_tokens"
    message = openai_client.beta.threads.messages.list(run.thread_id, limit=1).data[0]
    assert message.status == "incomplete" and message.incomplete_details.reason == "max_tokens"
    assert message.content[0].text.value == "A long answer that"


def test_cancel_while_the_model_streams(openai_client, engine_worker, chat_model, chat_server):
    chat_server.script(Reply(text="word " * 100, chunk_size=5, delay=0.05))
    assistant = openai_client.beta.assistants.create(model=chat_model)
    run = openai_client.beta.threads.create_and_run(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Talk"}]}
    )
    wait_until(
        lambda: Message.objects.filter(run_id=run.id).exclude(content=[]).exists(),
        timeout=10,
        message="the first words of the answer",
        interval=0.01,
    )
    assert openai_client.beta.threads.runs.cancel(run.id, thread_id=run.thread_id).status in (
        "cancelling",
    )
    run = openai_client.beta.threads.runs.poll(run.id, thread_id=run.thread_id, poll_interval_ms=20)
    assert run.status == "cancelled" and run.cancelled_at is not None
    message = openai_client.beta.threads.messages.list(run.thread_id, limit=1).data[0]
    assert message.status == "incomplete" and message.incomplete_details.reason == "run_cancelled"
    assert 0 < len(message.content[0].text.value) < len("word " * 100)
    step = openai_client.beta.threads.runs.steps.list(run.id, thread_id=run.thread_id).data[0]
    assert step.status == "cancelled"


def test_a_heartbeat_never_keeps_a_waiting_run_from_being_cancelled(thread):
    """Cancelling a waiting run leaves it to a task; the worker that last executed it must not
    renew a lease on it in between (that stopped the task, leaving the run "cancelling")."""
    from engine import executor

    run = make_run(thread, status=Run.REQUIRES_ACTION, worker_id="earlier-worker")
    assert run.request_cancel()
    executor.renew_leases("earlier-worker")  # its heartbeat, before the task runs
    executor.execute(run.id, worker_id="another-worker")
    run.refresh_from_db()
    assert run.status == Run.CANCELLED and run.lease_expires_at is None


def test_a_heartbeat_renews_the_runs_a_worker_executes(thread):
    from engine import executor

    run = make_run(thread, status=Run.IN_PROGRESS, worker_id="w1")
    # A lease about to run out (a second left), as the previous heartbeat left it.
    before = timezone.now() + timedelta(seconds=1)
    Run.objects.filter(pk=run.pk).update(lease_expires_at=before)
    executor.renew_leases("w1")
    assert Run.objects.get(pk=run.pk).lease_expires_at >= before + timedelta(seconds=1)
