"""Token usage of the built-in engine's runs, and monthly budgets, as plain data for the
dashboard's Usage page; and the budget check made when a run is created.

Who a run counts against: the person who started it on the dashboard (the dashboard names them
in the PERSON_HEADER of its own requests; nobody else may), or the engine key whose thread it
runs on. Budgets are per calendar month in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, CharField, Count, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.http import HttpRequest
from django.utils import timezone

from .errors import ApiError
from .models import Assistant, EngineKey, Run
from .usage_models import MonthlyTokens, TokenBudget

PERSON_HEADER = "X-Studio-Person"


def month_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The start of this calendar month (UTC) and of the next, when budgets reset."""
    now = (now or timezone.now()).astimezone(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def _used(runs: QuerySet[Run]) -> int:
    return runs.aggregate(used=Sum("tokens"))["used"] or 0


def _budget(
    month: date, *, person_id: int | None = None, key: EngineKey | None = None
) -> tuple[int, str, int]:
    """The monthly limit that applies, whose it is ("" when none does), and what was used
    this month (the running total's one row). Two small queries, the second only when a
    budget applies: plain value lists, as this runs before every run."""
    owner = Q(person_id=person_id) if person_id else Q(key=key)
    limits = TokenBudget.objects.filter(owner | Q(person__isnull=True, key__isnull=True))
    own, default = None, None
    for budget_person, budget_key, limit in limits.values_list(
        "person_id", "key_id", "monthly_tokens"
    ):
        if budget_person is None and budget_key is None:
            default = limit
        else:
            own = limit
    if own is not None:
        whose, limit = "own", own
    elif default is not None and person_id:  # the default is per person, not per key
        whose, limit = "default", default
    else:
        return 0, "", 0
    total = {"person_id": person_id} if person_id else {"key_id": key.pk}  # type: ignore[union-attr]
    return limit, whose, MonthlyTokens.used(month, **total)


def refusal(*, person_id: int | None, key: EngineKey | None, now: datetime | None = None) -> str:
    """Why a new run must be refused (a sentence), or "" when it may start."""
    if person_id is None and key is None:
        return ""
    start, reset = month_bounds(now)
    # The month's total is one row, kept as runs' usage is written: the check is one query
    # however many runs the month has.
    limit, whose, used = _budget(start.date(), person_id=person_id, key=key)
    if not whose:
        return ""
    if used < limit:
        return ""
    if person_id is not None:
        person = get_user_model().objects.filter(pk=person_id).first()
        name = person.get_username() if person else "this person"
        owner = f"{name}'s monthly limit" if whose == "own" else (
            f"The team's default monthly limit per person (which applies to {name})"
        )  # fmt: skip
    else:
        owner = f"The engine key “{key.name}”'s monthly limit"  # type: ignore[union-attr]
    return (
        f"{owner} of {limit:,} tokens is used up: {used:,} tokens since "
        f"{start:%-d %B}. It resets on {reset:%-d %B %Y} (00:00 UTC)."
    )


def admit(request: HttpRequest) -> int | None:
    """Before a run is created: the person it counts against (from the dashboard's header),
    or an ApiError (429, insufficient_quota) when their budget, or the key's, is used up."""
    key = getattr(request, "engine_key", None)
    person_id = None
    if key is None:
        raw = request.headers.get(PERSON_HEADER, "")
        person_id = int(raw) if raw.isdigit() else None
    sentence = refusal(person_id=person_id, key=key)
    if sentence:
        raise ApiError(429, sentence, type="insufficient_quota", code="insufficient_quota")
    return person_id


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True)
class Row:
    label: str
    tokens: int
    runs: int
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Report:
    start: date
    end: date  # exclusive
    days: list[Row] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    assistants: list[Row] = field(default_factory=list)
    models: list[Row] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return sum(row.tokens for row in self.days)

    @property
    def runs(self) -> int:
        return sum(row.runs for row in self.days)


def _sums(runs: QuerySet[Run], *group: Any) -> list[dict[str, Any]]:
    return list(
        runs.values(*group)
        .annotate(
            tokens=Sum("tokens"),
            prompt=Sum(Coalesce(Cast(KT("usage__prompt_tokens"), BigIntegerField()), 0)),
            completion=Sum(Coalesce(Cast(KT("usage__completion_tokens"), BigIntegerField()), 0)),
            runs=Count("id"),
        )
        .order_by()
    )


def _row(label: str, sums: dict[str, Any]) -> Row:
    return Row(label, sums["tokens"] or 0, sums["runs"], sums["prompt"] or 0,
               sums["completion"] or 0)  # fmt: skip


def report(start: date, end: date, *, person_id: int | None = None) -> Report:
    """Tokens and runs from `start` to `end` (exclusive) by day, person, assistant and model;
    only `person_id`'s runs when given."""
    runs = Run.objects.filter(
        created_at__gte=datetime.combine(start, datetime.min.time(), UTC),
        created_at__lt=datetime.combine(end, datetime.min.time(), UTC),
    )
    if person_id is not None:
        runs = runs.filter(person_id=person_id)
    result = Report(start, end)
    by_day = {s["day"]: s for s in _sums(runs.annotate(day=TruncDate("created_at", tzinfo=UTC)),
                                           "day")}  # fmt: skip
    day = start
    while day < end:
        sums = by_day.get(day, {"tokens": 0, "runs": 0, "prompt": 0, "completion": 0})
        result.days.append(_row(day.isoformat(), sums))
        day += timedelta(days=1)
    owners = _sums(runs, "person_id", "thread__created_by_key_id")
    people = get_user_model().objects.in_bulk([s["person_id"] for s in owners if s["person_id"]])
    keys = EngineKey.objects.in_bulk()
    for sums in owners:
        if sums["person_id"] in people:
            label = people[sums["person_id"]].get_username()
        elif sums["thread__created_by_key_id"] in keys:
            label = f"key: {keys[sums['thread__created_by_key_id']].name}"
        else:
            label = "the dashboard's key (no person)"
        result.people.append(_row(label, sums))
    names = dict(Assistant.objects.values_list("id", "name"))
    for sums in _sums(runs, "assistant_id"):
        label = names.get(sums["assistant_id"]) or sums["assistant_id"]
        result.assistants.append(_row(label, sums))
    served = runs.annotate(
        answered=Coalesce(KT("served_by__model"), "model", output_field=CharField())
    )
    for sums in _sums(served, "answered"):
        result.models.append(_row(sums["answered"], sums))
    for rows in (result.people, result.assistants, result.models):
        rows.sort(key=lambda row: (-row.tokens, row.label))
    return result


def thread_tokens(thread_id: str) -> int:
    """Every run's tokens on one thread (the dashboard's thread page shows the total)."""
    return _used(Run.objects.filter(thread_id=thread_id))


# ---------------------------------------------------------------------------------------------
# Budgets, for the Usage page


@dataclass(frozen=True)
class BudgetInfo:
    id: int
    owner: str  # "everyone", a username, or "key: name"
    monthly_tokens: int
    used: int


def list_budgets(now: datetime | None = None) -> list[BudgetInfo]:
    start, _ = month_bounds(now)
    # This month's totals in one query, not one per budget.
    totals = list(
        MonthlyTokens.objects.filter(month=start.date()).values_list(
            "person_id", "key_id", "tokens"
        )
    )
    by_person = {person: tokens for person, key, tokens in totals if person is not None}
    by_key = {key: tokens for person, key, tokens in totals if key is not None}
    result = []
    for budget in TokenBudget.objects.select_related("person", "key"):
        if budget.person is not None:
            owner = budget.person.get_username()
            used = by_person.get(budget.person_id, 0)
        elif budget.key is not None:
            owner = f"key: {budget.key.name}"
            used = by_key.get(budget.key_id, 0)
        else:
            owner, used = "everyone (default, per person)", 0
        result.append(BudgetInfo(budget.pk, owner, budget.monthly_tokens, used))
    return sorted(result, key=lambda b: (not b.owner.startswith("everyone"), b.owner))


def set_budget(*, monthly_tokens: int, person_id: int | None = None, key_id: int | None = None
               ) -> None:  # fmt: skip
    TokenBudget.objects.update_or_create(
        person_id=person_id, key_id=key_id, defaults={"monthly_tokens": monthly_tokens}
    )


def delete_budget(budget_id: int) -> bool:
    return TokenBudget.objects.filter(pk=budget_id).delete()[0] > 0


def key_choices() -> list[tuple[int, str]]:
    return list(EngineKey.objects.active().values_list("pk", "name"))
