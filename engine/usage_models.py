"""Monthly token budgets: per person (a dashboard account), per engine key, and a default for
everyone without a budget of their own. Checked when a run is created (engine.usage.admit)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, QuerySet, Sum
from django.db.models.functions import TruncMonth


class TokenBudget(models.Model):
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.OneToOneField(
        "engine.EngineKey", null=True, blank=True, on_delete=models.CASCADE, related_name="budget"
    )
    monthly_tokens = models.PositiveBigIntegerField(help_text="Tokens a calendar month (UTC).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=True) | models.Q(key__isnull=True),
                name="engine_budget_one_owner",
            )
        ]

    def __str__(self) -> str:
        owner = self.person or self.key or "everyone (default)"
        return f"{owner}: {self.monthly_tokens:,} tokens a month"


class MonthlyTokens(models.Model):
    """A running total of tokens per calendar month (UTC, by the run's created_at) for one
    person or one engine key, so the budget check reads one row however many runs there are.
    Kept by record_run_usage, in the transaction that writes a run's usage."""

    month = models.DateField(help_text="The month's first day.")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.ForeignKey(
        "engine.EngineKey", null=True, on_delete=models.CASCADE, related_name="+"
    )
    tokens = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "person"],
                condition=models.Q(person__isnull=False),
                name="engine_monthly_tokens_person",
            ),
            models.UniqueConstraint(
                fields=["month", "key"],
                condition=models.Q(key__isnull=False),
                name="engine_monthly_tokens_key",
            ),
            models.CheckConstraint(
                condition=models.Q(person__isnull=True) | models.Q(key__isnull=True),
                name="engine_monthly_tokens_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.key}: {self.tokens:,} tokens in {self.month:%B %Y}"

    @classmethod
    def used(cls, month: date, *, person_id: int | None = None, key_id: int | None = None) -> int:
        owner = {"person_id": person_id} if person_id is not None else {"key_id": key_id}
        found = cls.objects.filter(month=month, **owner).values_list("tokens", flat=True)
        return next(iter(found), 0)

    @classmethod
    def add(cls, month: date, tokens: int, **owner: int) -> None:
        """Add to one owner's total (person_id= or key_id=), making its row if need be."""
        if cls.objects.filter(month=month, **owner).update(tokens=F("tokens") + tokens):
            return
        try:
            with transaction.atomic():  # a savepoint: another writer may make the row first
                cls.objects.create(month=month, tokens=tokens, **owner)
        except IntegrityError:
            cls.objects.filter(month=month, **owner).update(tokens=F("tokens") + tokens)

    @classmethod
    def rebuild(cls) -> None:
        """Recount every total from the runs (after runs were written another way)."""
        from .models import Run

        cls.objects.all().delete()
        for owner, field in (("person_id", "person_id"), ("key_id", "thread__created_by_key_id")):
            sums = (
                Run.objects.filter(**{f"{field}__isnull": False}, tokens__gt=0)
                .annotate(month=TruncMonth("created_at", tzinfo=UTC))
                .values("month", field)
                .annotate(total=Sum("tokens"))
            )
            cls.objects.bulk_create(
                cls(month=row["month"].date(), tokens=row["total"], **{owner: row[field]})
                for row in sums
            )


def month_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date().replace(day=1)


UsageBefore = tuple[int, int | None, int | None, datetime]


def usage_before(run_id: str) -> UsageBefore | None:
    """Run `run_id`'s token total so far, its person, its thread's key and its creation time."""
    from .models import Run

    return (
        Run.objects.filter(pk=run_id)
        .values_list("tokens", "person_id", "thread__created_by_key_id", "created_at")
        .first()
    )


def record_run_usage(
    runs: QuerySet, run_id: str, fields: dict[str, Any], before: UsageBefore | None = None
) -> int:
    """runs.update(**fields) (a conditional update of run `run_id`); when it wins and
    fields carry the run's new total ("tokens"), what it adds is counted in the month's
    totals of the run's person and of its thread's key, in the same transaction.

    `before` (as `usage_before` reads it): given by a caller whose `runs` is fenced by its lease
    and that read the run when it took the lease, since nobody else can have changed the total
    if the update wins; else read here."""
    if "tokens" not in fields:
        return runs.update(**fields)
    # No savepoint: inside the settle's transaction it would cost two more round trips, and an
    # error here fails that whole transaction anyway.
    with transaction.atomic(savepoint=False):
        before = before or usage_before(run_id)
        updated = runs.update(**fields)
        if updated and before is not None:
            tokens, person_id, key_id, created_at = before
            added = fields["tokens"] - tokens
            if added:
                month = month_of(created_at)
                if person_id is not None:
                    MonthlyTokens.add(month, added, person_id=person_id)
                if key_id is not None:
                    MonthlyTokens.add(month, added, key_id=key_id)
    return updated
