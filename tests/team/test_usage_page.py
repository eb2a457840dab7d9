"""The Usage page and budgets: sums per day, person, assistant and model; a member sees their
own, an administrator everyone's; CSV; runs refused past a person's or a key's monthly budget,
saying whose limit it is, how much was used and when it resets."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openai
import pytest
from django.urls import reverse
from django.utils import timezone

from engine.auth import dashboard_key
from engine.models import Assistant, EngineKey, MonthlyTokens, Run, Thread, TokenBudget
from engine.usage import PERSON_HEADER, month_bounds, refusal, report
from engine.usage_models import record_run_usage
from tests.dashboard.support import poll, send, stopped

pytestmark = pytest.mark.django_db


def spent(person=None, *, tokens: int, model: str = "demo", days_ago: int = 0, key=None,
          assistant: Assistant | None = None) -> Run:  # fmt: skip
    thread = Thread.objects.create(created_by_key=key)
    assistant = assistant or Assistant.objects.create(model=model, name="Helper")
    when = timezone.now() - timedelta(days=days_ago)
    run = Run.objects.create(
        thread=thread, assistant_id=assistant.id, model=model, person=person, status="completed",
        usage={"prompt_tokens": tokens - 1, "completion_tokens": 1, "total_tokens": tokens},
        tokens=tokens,
        served_by={"model": model, "provider": "demo"}, created_at=when,
    )  # fmt: skip
    MonthlyTokens.rebuild()  # runs written here, not by the engine's executor
    return run


def finish(run: Run, *, tokens: int) -> None:
    """The run completes with this usage, written as the engine's executor writes it."""
    fields = {"status": "completed", "usage": {"total_tokens": tokens}, "tokens": tokens}
    record_run_usage(Run.objects.filter(pk=run.pk), run.pk, fields)


def test_sums_per_day_person_assistant_and_model(owner, teammate):
    helper = Assistant.objects.create(model="demo", name="Helper")
    spent(owner, tokens=100, assistant=helper)
    spent(owner, tokens=50, days_ago=1, model="llama3", assistant=helper)
    spent(teammate, tokens=7)
    key, _ = EngineKey.issue("CI")
    spent(tokens=3, key=key)
    today = timezone.now().date()
    result = report(today - timedelta(days=6), today + timedelta(days=1))
    assert (result.tokens, result.runs) == (160, 4)
    assert [(r.label, r.tokens) for r in result.days[-2:]] == [
        ((today - timedelta(days=1)).isoformat(), 50),
        (today.isoformat(), 110),
    ]
    assert [(r.label, r.tokens, r.runs) for r in result.people] == [
        ("olivia", 150, 2), ("tomas", 7, 1), ("key: CI", 3, 1)]  # fmt: skip
    assert (result.assistants[0].label, result.assistants[0].tokens) == ("Helper", 150)
    assert [(r.label, r.tokens) for r in result.models] == [("demo", 110), ("llama3", 50)]
    mine = report(today - timedelta(days=6), today + timedelta(days=1), person_id=owner.pk)
    assert mine.tokens == 150 and [r.label for r in mine.people] == ["olivia"]


def test_a_member_sees_their_own_and_an_administrator_everyones(client, owner, teammate,
                                                                admin_user):  # fmt: skip
    spent(owner, tokens=1234)
    spent(teammate, tokens=98765)
    client.force_login(owner)
    page = client.get(reverse("usage_page")).content.decode()
    assert "1,234" in page and "98,765" not in page and "tomas" not in page
    assert "Monthly token budgets" not in page
    assert client.post(reverse("budget_set"), {"owner": "default", "monthly_tokens": 5}
                       ).status_code == 403  # fmt: skip
    client.force_login(admin_user)
    page = client.get(reverse("usage_page")).content.decode()
    assert "99,999" in page and "tomas" in page and "<svg" in page
    assert "Monthly token budgets" in page


def test_csv_download(client, owner):
    spent(owner, tokens=42, model="=cmd|calc")
    client.force_login(owner)
    response = client.get(reverse("usage_csv"), {"days": "7"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["by", "name", "tokens", "prompt_tokens", "completion_tokens", "runs"]
    assert ["person", "olivia", "42", "41", "1", "1"] in rows
    assert ["model", "'=cmd|calc", "42", "41", "1", "1"] in rows  # no formula in a spreadsheet
    assert sum(int(r[2]) for r in rows if r[0] == "day") == 42


def test_a_person_past_their_budget_is_refused_in_words(owner, live_server):
    TokenBudget.objects.create(person=owner, monthly_tokens=100)
    sdk = openai.OpenAI(base_url=live_server.url + "/v1", api_key=dashboard_key(),
                        default_headers={PERSON_HEADER: str(owner.pk)}, max_retries=0)  # fmt: skip
    assistant = sdk.beta.assistants.create(model="demo")
    thread = sdk.beta.threads.create()
    sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)  # under budget
    assert Run.objects.get().person == owner
    finish(Run.objects.get(), tokens=100)
    with pytest.raises(openai.RateLimitError) as refused:
        sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    _, resets = month_bounds()
    assert refused.value.code == "insufficient_quota"
    assert refused.value.body["message"] == (
        f"olivia's monthly limit of 100 tokens is used up: 100 tokens since "
        f"{month_bounds()[0]:%-d %B}. It resets on {resets:%-d %B %Y} (00:00 UTC)."
    )
    assert Run.objects.count() == 1


def test_the_default_budget_applies_to_each_person(owner, teammate):
    TokenBudget.objects.create(monthly_tokens=10)
    spent(owner, tokens=10)
    assert refusal(person_id=owner.pk, key=None).startswith(
        "The team's default monthly limit per person (which applies to olivia) of 10 tokens"
    )
    assert refusal(person_id=teammate.pk, key=None) == ""
    TokenBudget.objects.create(person=owner, monthly_tokens=1000)  # their own wins
    assert refusal(person_id=owner.pk, key=None) == ""


def test_last_months_runs_do_not_count(owner):
    TokenBudget.objects.create(person=owner, monthly_tokens=10)
    start, _ = month_bounds()
    run = spent(owner, tokens=500)
    Run.objects.filter(pk=run.pk).update(created_at=start - timedelta(seconds=1))
    MonthlyTokens.rebuild()
    assert refusal(person_id=owner.pk, key=None) == ""


def test_an_engine_keys_runs_count_against_its_budget(live_server, owner):
    key, raw = EngineKey.issue("CI")
    TokenBudget.objects.create(key=key, monthly_tokens=5)
    sdk = openai.OpenAI(base_url=live_server.url + "/v1", api_key=raw, max_retries=0,
                        default_headers={PERSON_HEADER: str(owner.pk)})  # fmt: skip
    assistant = sdk.beta.assistants.create(model="demo")
    thread = sdk.beta.threads.create()
    sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert Run.objects.get().person is None  # a key cannot name a person
    finish(Run.objects.get(), tokens=9)
    with pytest.raises(openai.RateLimitError) as refused:
        sdk.beta.threads.create_and_run(assistant_id=assistant.id)
    assert refused.value.body["message"].startswith(
        "The engine key “CI”'s monthly limit of 5 tokens is used up: 9 tokens since"
    )


def test_the_dashboard_names_who_started_a_run(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    send(client, thread, "Hello")
    record = thread.runs.get()
    poll(client, thread, record.run_id, until=stopped)
    assert Run.objects.get(pk=record.run_id).person == owner
    page = client.get(reverse("usage_page")).content.decode()
    assert "Tokens per person" not in page  # a member sees no one else
    run = Run.objects.get(pk=record.run_id)
    tokens = run.usage["total_tokens"]
    assert tokens > 0 and run.tokens == tokens
    # The month's running total grew with the run, in the transaction that wrote its usage.
    assert MonthlyTokens.used(month_bounds()[0].date(), person_id=owner.pk) == tokens
    thread_page = client.get(thread.get_absolute_url()).content.decode()
    assert f'<span id="thread-tokens">{tokens:,} tokens so far</span>' in thread_page
