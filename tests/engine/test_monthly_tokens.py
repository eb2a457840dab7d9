"""The budget check reads a running monthly total per person and per engine key, kept in the
transaction that writes a run's usage, so its cost does not grow with the month's runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.models import Assistant, EngineKey, MonthlyTokens, Run, Thread, TokenBudget
from engine.usage import month_bounds, refusal
from engine.usage_models import month_of, record_run_usage
from tests.support import WEATHER_TOOL


def test_a_real_runs_usage_adds_to_its_keys_month(openai_client, engine_worker):
    key = EngineKey.objects.get(name="tests")
    assistant = openai_client.beta.assistants.create(model="demo")
    first = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Hello"}]},
        poll_interval_ms=20,
    )
    assert first.status == "completed" and first.usage.total_tokens > 0
    month = month_bounds()[0].date()
    assert MonthlyTokens.used(month, key_id=key.pk) == first.usage.total_tokens
    second = openai_client.beta.threads.runs.create_and_poll(
        thread_id=first.thread_id, assistant_id=assistant.id, poll_interval_ms=20
    )
    assert second.status == "completed"
    total = first.usage.total_tokens + second.usage.total_tokens
    assert MonthlyTokens.used(month, key_id=key.pk) == total


def test_a_run_answered_in_two_segments_is_counted_once(openai_client, engine_worker):
    """The settle after tool outputs adds only the second segment's tokens to the month."""
    key = EngineKey.objects.get(name="tests")
    assistant = openai_client.beta.assistants.create(model="demo", tools=[WEATHER_TOOL])
    waiting = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "What is the weather in Paris?"}]},
        poll_interval_ms=20,
    )
    assert waiting.status == "requires_action"
    month = month_bounds()[0].date()
    first_segment = MonthlyTokens.used(month, key_id=key.pk)
    assert first_segment == waiting.usage.total_tokens > 0
    calls = waiting.required_action.submit_tool_outputs.tool_calls
    done = openai_client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=waiting.id,
        thread_id=waiting.thread_id,
        tool_outputs=[{"tool_call_id": call.id, "output": "sunny"} for call in calls],
        poll_interval_ms=20,
    )
    assert done.status == "completed" and done.usage.total_tokens > first_segment
    assert MonthlyTokens.used(month, key_id=key.pk) == done.usage.total_tokens


@pytest.mark.django_db
def test_only_what_a_write_adds_is_counted_and_a_lost_write_counts_nothing(owner):
    thread = Thread.objects.create()
    assistant = Assistant.objects.create(model="demo")
    run = Run.objects.create(thread=thread, assistant_id=assistant.id, model="demo", person=owner)
    month = month_of(run.created_at)
    record_run_usage(Run.objects.filter(pk=run.pk), run.pk, {"tokens": 30})
    record_run_usage(Run.objects.filter(pk=run.pk), run.pk, {"tokens": 50})  # after tool outputs
    assert MonthlyTokens.used(month, person_id=owner.pk) == 50
    lost = Run.objects.filter(pk=run.pk, claims=99)  # another worker's write: it does not match
    assert record_run_usage(lost, run.pk, {"tokens": 500}) == 0
    assert MonthlyTokens.used(month, person_id=owner.pk) == 50


@pytest.mark.django_db
def test_the_budget_check_costs_the_same_however_many_runs(owner):
    TokenBudget.objects.create(person=owner, monthly_tokens=10**9)
    thread = Thread.objects.create()
    assistant = Assistant.objects.create(model="demo")

    def spend(count: int) -> None:
        for _ in range(count):
            run = Run.objects.create(
                thread=thread, assistant_id=assistant.id, model="demo", person=owner
            )
            record_run_usage(Run.objects.filter(pk=run.pk), run.pk, {"tokens": 10})

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert refusal(person_id=owner.pk, key=None) == ""
        return [query["sql"] for query in captured.captured_queries]

    spend(3)
    few = queries()
    spend(40)
    assert queries() == few
    assert not any('"engine_run"' in sql for sql in few)  # no run is read, let alone summed
    TokenBudget.objects.filter(person=owner).update(monthly_tokens=430)
    assert "430 tokens is used up: 430 tokens" in refusal(person_id=owner.pk, key=None)


@pytest.mark.django_db
def test_last_months_total_does_not_count(owner):
    TokenBudget.objects.create(person=owner, monthly_tokens=10)
    start, _ = month_bounds()
    MonthlyTokens.add((start - timedelta(days=1)).date().replace(day=1), 500, person_id=owner.pk)
    assert refusal(person_id=owner.pk, key=None) == ""
    assert refusal(person_id=owner.pk, key=None, now=start - timedelta(days=1)) != ""


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_runs_made_before_it(owner):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("engine", "0005_run_tokens")])
    old = executor.loader.project_state([("engine", "0005_run_tokens")]).apps
    key = old.get_model("engine", "EngineKey").objects.create(
        name="ci", prefix="sk-x", key_hash="h" * 64
    )
    thread = old.get_model("engine", "Thread").objects.create(id="thread_m", created_by_key=key)
    Run = old.get_model("engine", "Run")
    for n, tokens in enumerate([5, 7]):
        Run.objects.create(id=f"run_m{n}", thread=thread, assistant_id="asst_m", model="demo",
                           person_id=owner.pk, tokens=tokens)  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # Only the date: the historical model's JSON fields do not read the columns made since.
    month = month_of(Run.objects.values_list("created_at", flat=True).get(id="run_m0"))
    assert MonthlyTokens.used(month, person_id=owner.pk) == 12
    assert MonthlyTokens.used(month, key_id=key.pk) == 12
