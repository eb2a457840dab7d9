"""The built-in engine's records: the Assistants API v2 objects, stored as the API shapes them.

Identifiers carry the API's prefixes (asst_, thread_, msg_, run_, step_). Payloads the API
defines as open structures (tools, content parts, metadata, tool_resources, step details) are
JSON fields, so files and vector stores can slot in later without a schema change.

Every run state change is a conditional UPDATE (`filter(status=…).update(…)`): two requests or
two workers racing on one run cannot both win.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from dashboard.fields import OrderedJSONField

_ALPHABET = string.ascii_letters + string.digits


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def assistant_id() -> str:
    return _new_id("asst_")


def thread_id() -> str:
    return _new_id("thread_")


def message_id() -> str:
    return _new_id("msg_")


def run_id() -> str:
    return _new_id("run_")


def step_id() -> str:
    return _new_id("step_")


def call_id() -> str:
    return _new_id("call_")


def auto() -> str:
    return "auto"


def unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def engine_setting(name: str) -> Any:
    return getattr(settings, name)


# ---------------------------------------------------------------------------------------------
# Keys


class EngineKeyQuerySet(models.QuerySet["EngineKey"]):
    def active(self) -> EngineKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class TeamAccess(models.TextChoices):
    """What a key may do with the team's assistants and vector stores it did not make."""

    NONE = "none", "None"
    READ = "read", "Read"  # list, read, run or search them
    WRITE = "write", "Read and write"  # also change and delete them


class EngineKey(models.Model):
    """An API key for /v1. Only a SHA-256 of the key is stored; the key is shown once."""

    PREFIX = "sk-studio-"

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=24, editable=False, help_text="Shown to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    team_access = models.CharField(
        max_length=8,
        choices=TeamAccess,
        default=TeamAccess.NONE,
        help_text="The team's assistants and vector stores made elsewhere: set by an "
        "administrator on the dashboard's Engine keys page.",
    )

    objects = EngineKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "engine API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, name: str, *, created_by: Any = None) -> tuple[EngineKey, str]:
        """A new key and its raw value, which is not stored anywhere."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            name=name,
            prefix=raw[: len(cls.PREFIX) + 4],
            key_hash=cls.hash(raw),
            created_by=created_by,
        )
        return key, raw

    @classmethod
    def authenticate(cls, raw: str) -> EngineKey | None:
        key = cls.objects.active().filter(key_hash=cls.hash(raw)).first()
        if key is not None:
            key.touch()
        return key

    def touch(self) -> None:
        # At most one write a minute per key: every request is authenticated.
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > timedelta(minutes=1):
            EngineKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def reaches_team(self, *, write: bool) -> bool:
        if write:
            return self.team_access == TeamAccess.WRITE
        return self.team_access in (TeamAccess.READ, TeamAccess.WRITE)


# Who calls /v1: an issued key, or None for the dashboard's own key (engine.auth).
Principal = EngineKey | None


class KeyScopedQuerySet(models.QuerySet):
    """Who may reach which API object, written once for every lookup and list.

    Every object remembers the key that made it (`created_by_key`; None: the dashboard).
    Threads (with their messages, runs and steps) and files are private to their maker: a key
    sees its own, the dashboard its own, and nobody else's. Assistants and vector stores are
    the team's (`TEAM` says which of them): the dashboard reaches all of them, a key those it
    made and, when an administrator allows it (EngineKey.team_access), the others.
    """

    TEAM: models.Q | None = None  # which objects are the team's; None: all are private

    def visible_to_key(self, key: Principal, *, write: bool = False) -> models.QuerySet:
        mine = (
            models.Q(created_by_key__isnull=True) if key is None else models.Q(created_by_key=key)
        )
        if self.TEAM is None or (key is not None and not key.reaches_team(write=write)):
            return self.filter(mine)
        return self.filter(mine | self.TEAM)


class TeamQuerySet(KeyScopedQuerySet):
    TEAM = models.Q(pk__isnull=False)  # every assistant is the team's


# ---------------------------------------------------------------------------------------------
# API objects


def made_by_key(help_text: str) -> models.ForeignKey:
    """The engine key that made an object (empty: the dashboard); a key with objects stays."""
    return models.ForeignKey(
        EngineKey,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=help_text,
    )


# The API tells null from "" (an assistant's name, instructions…): those CharFields are nullable.
class ApiObject(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    metadata = OrderedJSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]  # newest first, as the API lists them

    def __str__(self) -> str:
        return self.pk


class Assistant(ApiObject):
    id = models.CharField(primary_key=True, max_length=40, default=assistant_id, editable=False)
    name = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001
    description = models.CharField(max_length=512, null=True, blank=True)  # noqa: DJ001
    model = models.CharField(max_length=256, db_index=True)
    instructions = models.TextField(null=True, blank=True)  # noqa: DJ001
    tools = OrderedJSONField(default=list, blank=True)
    tool_resources = OrderedJSONField(default=dict, null=True, blank=True)
    temperature = models.FloatField(null=True, blank=True, default=1.0)
    top_p = models.FloatField(null=True, blank=True, default=1.0)
    response_format = OrderedJSONField(default=auto, null=True, blank=True)
    reasoning_effort = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    created_by_key = made_by_key("The key that made it; empty: the dashboard.")

    objects = TeamQuerySet.as_manager()

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "assistant",
            "created_at": unix(self.created_at),
            "name": self.name,
            "description": self.description,
            "model": self.model,
            "instructions": self.instructions,
            "tools": self.tools,
            "tool_resources": self.tool_resources,
            "metadata": self.metadata,
            "top_p": self.top_p,
            "temperature": self.temperature,
            "response_format": self.response_format,
            "reasoning_effort": self.reasoning_effort,
        }


class Thread(ApiObject):
    id = models.CharField(primary_key=True, max_length=40, default=thread_id, editable=False)
    tool_resources = OrderedJSONField(default=dict, null=True, blank=True)
    created_by_key = made_by_key(
        "The key that made it, the only one that sees it; empty: the dashboard."
    )

    objects = KeyScopedQuerySet.as_manager()

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "thread",
            "created_at": unix(self.created_at),
            "metadata": self.metadata,
            "tool_resources": self.tool_resources,
        }

    def add_message(
        self,
        *,
        role: str,
        content: list[dict[str, Any]],
        attachments: list[dict[str, Any]] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Message:
        return Message.objects.create(
            thread=self,
            role=role,
            content=content,
            attachments=attachments or [],
            metadata=metadata or {},
            completed_at=timezone.now(),
        )

    def start_run(self, assistant: Assistant, **config: Any) -> Run:
        """Queue a run of `assistant` here; `config` overrides the assistant's settings.
        The caller holds the thread's lock and has checked it has no active run."""
        from . import tasks

        def pick(name: str, default: Any) -> Any:
            value = config.get(name)
            return default if value is None else value

        now = timezone.now()
        run = Run.objects.create(
            thread=self,
            assistant_id=assistant.id,
            model=pick("model", assistant.model),
            instructions=pick("instructions", assistant.instructions or ""),
            additional_instructions=config.get("additional_instructions"),
            tools=pick("tools", assistant.tools),
            metadata=pick("metadata", {}),
            temperature=pick("temperature", assistant.temperature),
            top_p=pick("top_p", assistant.top_p),
            max_prompt_tokens=config.get("max_prompt_tokens"),
            max_completion_tokens=config.get("max_completion_tokens"),
            truncation_strategy=pick(
                "truncation_strategy", {"type": "auto", "last_messages": None}
            ),
            tool_choice=pick("tool_choice", "auto"),
            parallel_tool_calls=pick("parallel_tool_calls", True),
            response_format=pick("response_format", assistant.response_format or "auto"),
            reasoning_effort=pick("reasoning_effort", assistant.reasoning_effort),
            person_id=config.get("person_id"),
            created_at=now,
            queued_at=now,
            expires_at=now + timedelta(seconds=engine_setting("ENGINE_RUN_TTL_SECONDS")),
        )
        tasks.enqueue_run(run.id)
        return run

    def active_run(self) -> Run | None:
        """The run that holds this thread's lock, after expiring any that waited too long."""
        for run in self.runs.filter(status__in=Run.ACTIVE).order_by("created_at"):
            if not run.expire_if_due():
                return run
        return None


class Message(ApiObject):
    IN_PROGRESS, INCOMPLETE, COMPLETED = "in_progress", "incomplete", "completed"
    STATUSES = [(s, s) for s in (IN_PROGRESS, INCOMPLETE, COMPLETED)]

    id = models.CharField(primary_key=True, max_length=40, default=message_id, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    status = models.CharField(max_length=16, choices=STATUSES, default=COMPLETED)
    incomplete_details = models.JSONField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    incomplete_at = models.DateTimeField(null=True, blank=True)
    role = models.CharField(max_length=16, choices=[("user", "user"), ("assistant", "assistant")])
    # Content parts exactly as the API returns them ({"type": "text", "text": {...}}, …).
    content = OrderedJSONField(default=list, blank=True)
    assistant_id = models.CharField(max_length=40, null=True, blank=True, db_index=True)  # noqa: DJ001
    run = models.ForeignKey(
        "Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    attachments = OrderedJSONField(default=list, null=True, blank=True)

    class Meta(ApiObject.Meta):
        indexes = [models.Index(fields=["thread", "created_at"])]

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "thread.message",
            "created_at": unix(self.created_at),
            "thread_id": self.thread_id,
            "status": self.status,
            "incomplete_details": self.incomplete_details,
            "completed_at": unix(self.completed_at),
            "incomplete_at": unix(self.incomplete_at),
            "role": self.role,
            "content": self.content,
            "assistant_id": self.assistant_id,
            "run_id": self.run_id,
            "attachments": self.attachments,
            "metadata": self.metadata,
        }

    @property
    def text(self) -> str:
        return "".join(part["text"]["value"] for part in self.content if part.get("type") == "text")

    @staticmethod
    def text_content(text: str) -> list[dict[str, Any]]:
        return [{"type": "text", "text": {"value": text, "annotations": []}}]


class RunQuerySet(models.QuerySet["Run"]):
    def stale(self, now: datetime) -> RunQuerySet:
        """Runs owned by a worker that stopped renewing its lease."""
        return self.filter(status__in=[Run.IN_PROGRESS, Run.CANCELLING], lease_expires_at__lt=now)

    def waiting_too_long(self, now: datetime) -> RunQuerySet:
        return self.filter(status=Run.REQUIRES_ACTION, expires_at__lte=now)


class Run(ApiObject):
    QUEUED, IN_PROGRESS, REQUIRES_ACTION = "queued", "in_progress", "requires_action"
    CANCELLING, CANCELLED, FAILED = "cancelling", "cancelled", "failed"
    COMPLETED, INCOMPLETE, EXPIRED = "completed", "incomplete", "expired"
    STATUSES = [
        (s, s)
        for s in (
            QUEUED,
            IN_PROGRESS,
            REQUIRES_ACTION,
            CANCELLING,
            CANCELLED,
            FAILED,
            COMPLETED,
            INCOMPLETE,
            EXPIRED,
        )
    ]
    ACTIVE = (QUEUED, IN_PROGRESS, REQUIRES_ACTION, CANCELLING)
    TERMINAL = (CANCELLED, FAILED, COMPLETED, INCOMPLETE, EXPIRED)

    id = models.CharField(primary_key=True, max_length=40, default=run_id, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="runs")
    # Not a foreign key: the API keeps a run's assistant_id after the assistant is deleted.
    assistant_id = models.CharField(max_length=40, db_index=True)
    status = models.CharField(max_length=16, choices=STATUSES, default=QUEUED, db_index=True)
    required_action = models.JSONField(null=True, blank=True)
    last_error = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    incomplete_details = models.JSONField(null=True, blank=True)
    # The configuration the run executes with, copied from the assistant and the overrides.
    model = models.CharField(max_length=256, db_index=True)
    instructions = models.TextField(blank=True, default="")
    additional_instructions = models.TextField(null=True, blank=True)  # noqa: DJ001
    tools = OrderedJSONField(default=list, blank=True)
    usage = models.JSONField(null=True, blank=True)
    tokens = models.PositiveBigIntegerField(default=0, help_text="usage's total_tokens.")
    # Which model answered, and whose ({"model", "provider"}): an alias or a prefixed id
    # names something else than what the provider was asked for.
    served_by = models.JSONField(null=True, blank=True)
    # Who started it on the dashboard (the dashboard says so with its own key); None for
    # runs of engine keys, which count against their key (thread.created_by_key).
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    temperature = models.FloatField(null=True, blank=True)
    top_p = models.FloatField(null=True, blank=True)
    max_prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    max_completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    truncation_strategy = OrderedJSONField(default=dict, blank=True)
    tool_choice = OrderedJSONField(default=auto, null=True, blank=True)
    parallel_tool_calls = models.BooleanField(default=True)
    response_format = OrderedJSONField(default=auto, null=True, blank=True)
    reasoning_effort = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    # Execution bookkeeping (not part of the API object).
    queued_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    worker_id = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claims = models.PositiveIntegerField(default=0, help_text="Fencing token: +1 per claim.")
    retries = models.PositiveSmallIntegerField(default=0, help_text="Recoveries after a crash.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RunQuerySet.as_manager()

    class Meta(ApiObject.Meta):
        indexes = [
            models.Index(fields=["thread", "created_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
            # A person's runs by date with their tokens (their Usage page), from the index.
            models.Index(fields=["person", "created_at", "tokens"]),
        ]

    def to_api(self) -> dict[str, Any]:
        show_usage = self.status not in (self.QUEUED, self.IN_PROGRESS, self.CANCELLING)
        return {
            "id": self.id,
            "object": "thread.run",
            "created_at": unix(self.created_at),
            "thread_id": self.thread_id,
            "assistant_id": self.assistant_id,
            "status": self.status,
            "required_action": self.required_action,
            "last_error": self.last_error,
            "expires_at": unix(self.expires_at),
            "started_at": unix(self.started_at),
            "cancelled_at": unix(self.cancelled_at),
            "failed_at": unix(self.failed_at),
            "completed_at": unix(self.completed_at),
            "incomplete_details": self.incomplete_details,
            "model": self.model,
            "instructions": self.instructions or "",
            "tools": self.tools or [],
            "metadata": self.metadata,
            "usage": self.usage if show_usage else None,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_prompt_tokens": self.max_prompt_tokens,
            "max_completion_tokens": self.max_completion_tokens,
            "truncation_strategy": self.truncation_strategy
            or {"type": "auto", "last_messages": None},
            "tool_choice": self.tool_choice,
            "parallel_tool_calls": self.parallel_tool_calls,
            "response_format": self.response_format,
            "reasoning_effort": self.reasoning_effort,
            **({"served_by": self.served_by} if self.served_by else {}),
        }

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def pending_tool_calls(self) -> list[dict[str, Any]]:
        if not self.required_action:
            return []
        return self.required_action["submit_tool_outputs"]["tool_calls"]

    # -- transitions requested through the API ------------------------------------------------

    def expire_if_due(self, now: datetime | None = None) -> bool:
        """Expire a run that waited on tool outputs past `expires_at`. True if it is expired."""
        now = now or timezone.now()
        if self.status == self.EXPIRED:
            return True
        if self.status != self.REQUIRES_ACTION or not self.expires_at or self.expires_at > now:
            return False
        with transaction.atomic():
            won = Run.objects.filter(pk=self.pk, status=self.REQUIRES_ACTION).update(
                status=self.EXPIRED, required_action=None, updated_at=now
            )
            if won:
                self.steps.filter(status=RunStep.IN_PROGRESS).update(
                    status=RunStep.EXPIRED, expired_at=now
                )
                self.messages.filter(status=Message.IN_PROGRESS).update(
                    status=Message.INCOMPLETE,
                    incomplete_at=now,
                    incomplete_details={"reason": "run_expired"},
                )
        self.refresh_from_db()
        if won:
            from . import wakeup

            transaction.on_commit(lambda: wakeup.run_changed(self.id))
        return self.status == self.EXPIRED

    def request_cancel(self) -> bool:
        """queued/in_progress/requires_action → cancelling; the worker finishes the job."""
        from . import tasks

        now = timezone.now()
        waiting = Run.objects.filter(pk=self.pk, status__in=[self.QUEUED, self.REQUIRES_ACTION])
        # Nobody executes a queued or waiting run: a task finalises it (lease_expires_at null),
        # queued in the same transaction.
        with transaction.atomic():
            won = waiting.update(status=self.CANCELLING, lease_expires_at=None, updated_at=now)
            if won:
                tasks.enqueue_run(self.id)
        if not won:
            won = Run.objects.filter(pk=self.pk, status=self.IN_PROGRESS).update(
                status=self.CANCELLING, updated_at=now
            )
        self.refresh_from_db()
        return bool(won)

    def submit_tool_outputs(self, outputs: dict[str, str]) -> bool:
        """Record the outputs and queue the run again; False if another submit won the race."""
        from . import tasks

        now = timezone.now()
        with transaction.atomic():
            won = Run.objects.filter(
                pk=self.pk, status=self.REQUIRES_ACTION, claims=self.claims
            ).update(
                status=self.QUEUED,
                required_action=None,
                queued_at=now,
                waiting_since=None,
                expires_at=now + timedelta(seconds=engine_setting("ENGINE_RUN_TTL_SECONDS")),
                updated_at=now,
            )
            if not won:
                return False
            for step in self.steps.filter(type=RunStep.TOOL_CALLS, status=RunStep.IN_PROGRESS):
                calls = step.step_details.get("tool_calls", [])
                for call in calls:
                    if call.get("id") in outputs:
                        call["function"]["output"] = outputs[call["id"]]
                step.status, step.completed_at = RunStep.COMPLETED, now
                step.save(update_fields=["step_details", "status", "completed_at"])
            tasks.enqueue_run(self.id)
        self.refresh_from_db()
        return True


class RunStep(ApiObject):
    MESSAGE_CREATION, TOOL_CALLS = "message_creation", "tool_calls"
    IN_PROGRESS, CANCELLED, FAILED = "in_progress", "cancelled", "failed"
    COMPLETED, EXPIRED = "completed", "expired"
    STATUSES = [(s, s) for s in (IN_PROGRESS, CANCELLED, FAILED, COMPLETED, EXPIRED)]

    id = models.CharField(primary_key=True, max_length=40, default=step_id, editable=False)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="steps")
    assistant_id = models.CharField(max_length=40)
    type = models.CharField(
        max_length=20, choices=[(MESSAGE_CREATION, MESSAGE_CREATION), (TOOL_CALLS, TOOL_CALLS)]
    )
    status = models.CharField(max_length=16, choices=STATUSES, default=IN_PROGRESS)
    step_details = models.JSONField(default=dict)
    last_error = models.JSONField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    usage = models.JSONField(null=True, blank=True)

    class Meta(ApiObject.Meta):
        indexes = [models.Index(fields=["run", "created_at"])]

    # The `include[]` value that asks for file_search results' text (the API hides it otherwise).
    INCLUDE_RESULT_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"

    def to_api(self, *, include_result_content: bool = False) -> dict[str, Any]:
        details = self.step_details
        if not include_result_content and self.type == self.TOOL_CALLS:
            details = {
                **details,
                "tool_calls": [_without_result_content(c) for c in details.get("tool_calls", [])],
            }
        return {
            "id": self.id,
            "object": "thread.run.step",
            "created_at": unix(self.created_at),
            "assistant_id": self.assistant_id,
            "thread_id": self.thread_id,
            "run_id": self.run_id,
            "type": self.type,
            "status": self.status,
            "step_details": details,
            "last_error": self.last_error,
            "expired_at": unix(self.expired_at),
            "cancelled_at": unix(self.cancelled_at),
            "failed_at": unix(self.failed_at),
            "completed_at": unix(self.completed_at),
            "metadata": self.metadata,
            "usage": self.usage,
        }


def _without_result_content(call: dict[str, Any]) -> dict[str, Any]:
    search = call.get("file_search")
    if not search or not search.get("results"):
        return call
    results = [{k: v for k, v in r.items() if k != "content"} for r in search["results"]]
    return {**call, "file_search": {**search, "results": results}}


class Listener(models.Model):
    """A process waiting for wake-up datagrams on a loopback UDP port (see engine.wakeup)."""

    WORKER, WEB = "worker", "web"

    kind = models.CharField(max_length=8, choices=[(WORKER, WORKER), (WEB, WEB)])
    host = models.CharField(max_length=64, default="127.0.0.1")
    port = models.PositiveIntegerField()
    pid = models.PositiveIntegerField()
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.host}:{self.port} (pid {self.pid})"


def lease_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=engine_setting("ENGINE_RUN_LEASE_SECONDS"))


# Model providers have their own module; imported here so that Django registers them.
from .provider_models import (  # noqa: E402, F401
    ModelAlias,
    ModelProvider,
    ProviderModel,
    RoutingSettings,
)
from .usage_models import MonthlyTokens, TokenBudget  # noqa: E402, F401
