"""Monthly token budgets: per person (a dashboard account), per engine key, and a default for
everyone without a budget of their own. Checked when a run is created (engine.usage.admit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
