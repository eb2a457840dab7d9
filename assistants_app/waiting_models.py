"""Records for answering tool calls as a team: what waits, who answered, saved replies and
the HTTP endpoints that may answer a function. Imported by models.py (Django finds them there);
the rules that use them are in waiting.py and endpoints.py."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .crypto import EncryptedTextField
from .models import Connection, RunRecord, unique

__all__ = ["Answer", "Endpoint", "FunctionAnswering", "SavedReply", "WaitingRun"]

CLAIM_IDLE = timedelta(minutes=3)  # a claim lapses this long after the claimer's last activity


class WaitingRun(models.Model):
    """A run that waits for tool outputs, with its calls, as the dashboard last saw it: the
    waiting page and the live count read these rows instead of asking the backend per run.
    The row goes as soon as the dashboard learns the run moved on."""

    run = models.OneToOneField(RunRecord, on_delete=models.CASCADE, related_name="waiting")
    round_id = models.CharField(max_length=100)  # the first call's id: one round of calls
    calls = models.JSONField(default=list)  # [{"id", "type", "function": {"name", "arguments"}}]
    since = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claim_active_at = models.DateTimeField(null=True, blank=True)
    # {call_id: {"ok", "output", "error", "status", "ms"}}, for endpoint-answered functions
    endpoint_results = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-since", "-pk"]

    def __str__(self) -> str:
        return f"{self.run.run_id} waits for {len(self.calls)} output(s)"

    @property
    def claimer(self):
        """Who is answering it, while their claim is fresh."""
        fresh = self.claim_active_at and timezone.now() - self.claim_active_at < CLAIM_IDLE
        return self.claimed_by if self.claimed_by_id and fresh else None


class Answer(models.Model):
    """The one submission of a round of tool calls: its unique row is what lets exactly one
    of two people answering at once send their outputs; the other is told who answered."""

    run = models.ForeignKey(RunRecord, on_delete=models.CASCADE, related_name="answers")
    round_id = models.CharField(max_length=100)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    automatic = models.BooleanField(default=False)
    outputs = models.JSONField(default=list)  # [{"name", "output"}] as submitted
    sent = models.BooleanField(default=False)  # the backend accepted them
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [unique("one_answer_per_round", "run", "round_id")]

    def __str__(self) -> str:
        return f"{self.run.run_id} {self.round_id}"


class SavedReply(models.Model):
    """A reply to a function's calls kept for the team, per assistant and function."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    assistant_id = models.CharField(max_length=100)
    function_name = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            unique(
                "one_reply_name_per_function", "connection", "assistant_id", "function_name", "name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.function_name}: {self.name}"

    def can_change(self, user) -> bool:
        from .roles import MANAGE_CONNECTIONS

        return self.created_by_id == user.pk or user.has_perm(MANAGE_CONNECTIONS)


class Endpoint(models.Model):
    """An HTTP endpoint an administrator entered that may answer function calls: the server
    POSTs {"function", "arguments", …} as JSON and submits (or offers) what it answers."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=2000, help_text="http:// or https:// only.")
    headers = EncryptedTextField(
        blank=True, help_text="Stored encrypted; never shown again. One 'Name: value' a line."
    )
    timeout_seconds = models.FloatField(default=10.0)
    max_response_bytes = models.PositiveIntegerField(default=1_000_000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FunctionAnswering(models.Model):
    """How calls of one function of an assistant are answered (absent: by a person)."""

    class Mode(models.TextChoices):
        PERSON = "person", "By a person"
        APPROVAL = "approval", "By an endpoint, approved by a person"
        AUTOMATIC = "automatic", "By an endpoint, automatically"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    assistant_id = models.CharField(max_length=100)
    function_name = models.CharField(max_length=64)
    mode = models.CharField(max_length=20, choices=Mode, default=Mode.PERSON)
    endpoint = models.ForeignKey(Endpoint, null=True, blank=True, on_delete=models.PROTECT)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            unique("one_answering_per_function", "connection", "assistant_id", "function_name")
        ]

    def __str__(self) -> str:
        return f"{self.function_name}: {self.get_mode_display()}"
