from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, ClassVar

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dashboard.fields import OrderedJSONField

from .crypto import EncryptedTextField, mask
from .roles import manages_files, set_role
from .titles import short_title


class Installation(models.Model):
    """One row, written when the first administrator account is created.

    Its fixed primary key is the lock that makes first-run setup happen once even when two
    people submit the form at the same moment: the second insert fails on the unique key.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "installation"
        # The deployment-wide permission of the Members role (assistants_app.roles).
        permissions = [("use_dashboard", "Can build assistants and chat")]

    def __str__(self) -> str:
        return f"Installed {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def needs_setup(cls) -> bool:
        from django.contrib.auth import get_user_model

        return not get_user_model().objects.exists()

    @classmethod
    def create_administrator(cls, *, username: str, email: str, password: str):
        """Create the first superuser, or return None if another request got there first."""
        from django.contrib.auth import get_user_model

        User = get_user_model()
        try:
            with transaction.atomic():
                if User.objects.exists():
                    return None
                claim = cls.objects.create(id=cls.SINGLETON_ID)
                user = User.objects.create_superuser(username, email, password)
                set_role(user, "administrator")
                claim.created_by = user
                claim.save(update_fields=["created_by"])
        except IntegrityError:
            return None
        return user


class ConnectionQuerySet(models.QuerySet):
    def default(self) -> Connection:
        """The default connection; the built-in engine unless an administrator chose another."""
        connection = self.filter(is_default=True).first()
        if connection is None:
            connection, _ = self.get_or_create(
                kind=Connection.Kind.BUILTIN,
                defaults={"name": "Built-in engine", "is_default": True},
            )
        return connection


class Connection(models.Model):
    """A backend that speaks the Assistants API v2: the built-in engine or another server."""

    class Kind(models.TextChoices):
        BUILTIN = "builtin", "Built-in engine"
        OPENAI = "openai", "Assistants API (OpenAI-compatible)"
        AZURE = "azure", "Azure OpenAI (api-key header, api-version)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OPENAI)
    base_url = models.URLField(
        blank=True,
        help_text="For example https://api.example.com/v1. Empty for the built-in engine.",
    )
    api_key = EncryptedTextField(blank=True, help_text="Stored encrypted; never shown again.")
    organization = models.CharField(max_length=100, blank=True)
    project = models.CharField(max_length=100, blank=True)
    api_version = models.CharField(
        max_length=40, blank=True, help_text="Azure only: the api-version query parameter."
    )
    default_model = models.CharField(max_length=100, blank=True)
    is_default = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_connection"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.kind == self.Kind.BUILTIN

    @property
    def masked_api_key(self) -> str:
        return mask(self.api_key or "")

    def make_default(self) -> None:
        with transaction.atomic():
            Connection.objects.filter(is_default=True).exclude(pk=self.pk).update(is_default=False)
            self.is_default = True
            self.save(update_fields=["is_default", "updated_at"])

    def test(self) -> dict[str, Any]:
        """Ask the backend for its assistants and its models, and say in words what happened:
        {"ok": bool, "words": str}, never with the API key in it, even if a backend echoes it."""
        from .error_words import in_words
        from .services import AssistantsError, AuthenticationError, NotFoundError, client_for

        client = client_for(self, max_retries=0, timeout=10)
        started = time.monotonic()
        try:
            assistants = client.assistants.list(limit=100)
        except AuthenticationError:
            return self._test_result(False, "The backend rejected the API key (HTTP 401).")
        except NotFoundError:
            return self._test_result(
                False,
                "The server answered, but not as an Assistants API: /assistants was not found "
                "(HTTP 404). Check that the address ends with the API's version, e.g. /v1.",
            )
        except AssistantsError as error:
            return self._test_result(False, in_words(error))
        elapsed = (time.monotonic() - started) * 1000
        found = len(assistants.data)
        count = f"more than {found}" if assistants.has_more else found
        words = (
            f"Connected in {elapsed:.0f} ms. It has {count} assistant{'s' if count != 1 else ''}"
        )
        try:
            models = [model.id for model in client.models.list().data]
        except AssistantsError:
            words += "; it does not list its models (that is allowed)."
        else:
            shown = ", ".join(models[:5]) + (", …" if len(models) > 5 else "")
            words += f" and offers {len(models)} model{'s' if len(models) != 1 else ''}"
            words += f": {shown}." if models else "."
        return self._test_result(True, words)

    def _test_result(self, ok: bool, words: str) -> dict[str, Any]:
        secret = self.api_key or ""
        if len(secret) >= 8:  # a backend may quote the key it refused
            words = words.replace(secret, self.masked_api_key)
        return {"ok": ok, "words": words}


# --- The dashboard's own records: what an Assistants API cannot give back. ---------------


def unique(name: str, *fields: str) -> models.UniqueConstraint:
    """One row per value of `fields` together (constraints are named, as migrations need)."""
    return models.UniqueConstraint(fields=list(fields), name=name)


class BackendObjectRecord:
    """What the dashboard notes about one object of a backend (an assistant, a file, a vector
    store), found by its connection and its id there (`id_field`): shown by its name, else
    that id; forgotten once the object is gone."""

    id_field: ClassVar[str]
    name_field: ClassVar[str] = "name"

    def __str__(self) -> str:
        return getattr(self, self.name_field) or getattr(self, self.id_field)

    @classmethod
    def forget(cls, *, connection: Connection, **object_id: str) -> None:
        """Drop the record of the object named by `<id_field>=…` (e.g. `file_id="file-1"`)."""
        wanted = {cls.id_field: object_id[cls.id_field]}
        cls.objects.filter(connection=connection, **wanted).delete()  # type: ignore[attr-defined]


class AssistantRecordQuerySet(models.QuerySet):
    def for_ids(
        self, connection: Connection, assistant_ids: list[str]
    ) -> dict[str, AssistantRecord]:
        """The local records of one page of assistants, in one query."""
        rows = self.filter(connection=connection, assistant_id__in=assistant_ids)
        return {row.assistant_id: row for row in rows.select_related("created_by", "changed_by")}


class AssistantRecord(BackendObjectRecord, models.Model):
    """Who created and who last changed an assistant: the API itself does not know.

    Assistants are shared by the team, so there is no owner filter; the record only
    attributes changes; the audit trail (AuditEvent) keeps the field-by-field diffs.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    assistant_id = models.CharField(max_length=100)
    name = models.CharField(max_length=256, blank=True)  # as last saved here, for the admin
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    objects = AssistantRecordQuerySet.as_manager()
    id_field = "assistant_id"

    class Meta:
        constraints = [unique("one_record_per_assistant", "connection", "assistant_id")]

    @classmethod
    def note_change(cls, *, connection: Connection, assistant_id: str, name: str, user) -> None:
        record, created = cls.objects.get_or_create(
            connection=connection,
            assistant_id=assistant_id,
            defaults={"name": name, "created_by": user, "changed_by": user},
        )
        if not created:
            record.name, record.changed_by = name, user
            record.save(update_fields=["name", "changed_by", "changed_at"])


class ThreadRecordQuerySet(models.QuerySet):
    def visible_to(self, user) -> ThreadRecordQuerySet:
        """Threads a person may open: their own, and those shared with the team."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(owner=user) | ~Q(sharing=ThreadRecord.Sharing.PRIVATE))

    def chattable_by(self, user) -> ThreadRecordQuerySet:
        """Threads a person may post to or run: their own, and those shared as "can chat"."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(owner=user) | Q(sharing=ThreadRecord.Sharing.TEAM_CHAT))

    def owned_by(self, user) -> ThreadRecordQuerySet:
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def listed(self) -> ThreadRecordQuerySet:
        """Threads for the lists: test chats only once someone keeps them."""
        return self.filter(trial=False)

    def trial_of(self, user, assistant_id: str) -> ThreadRecord | None:
        """The person's current (latest, not kept) test chat with an assistant, if any."""
        return self.owned_by(user).filter(trial=True, assistant_id=assistant_id).first()

    def shared_with(self, user) -> ThreadRecordQuerySet:
        """Other people's threads shared with the team, for the "Shared with the team" list."""
        return self.visible_to(user).exclude(owner=user)

    def matching(self, query: str) -> ThreadRecordQuerySet:
        """Threads whose title, or a message the dashboard has seen (search_models), holds
        every word of `query`, in any case."""
        threads, index = self, ThreadMessageIndex.objects  # noqa: F405 (search_models)
        for word in query.split():
            seen = index.filter(text__icontains=word).values("thread")
            threads = threads.filter(Q(title__icontains=word) | Q(pk__in=seen))
        return threads


class ThreadRecord(models.Model):
    """The thread index: the Assistants API has no "list threads", so the dashboard keeps one."""

    class Sharing(models.TextChoices):
        PRIVATE = "private", "Private"
        TEAM_READ = "team_read", "Shared with the team (read-only)"
        TEAM_CHAT = "team_chat", "Shared with the team (can chat)"

    TITLE_LENGTH = 120

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="threads")
    thread_id = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assistant_threads"
    )
    assistant_id = models.CharField(max_length=100)
    assistant_name = models.CharField(max_length=256, blank=True)  # as it was when the chat began
    title = models.CharField(max_length=TITLE_LENGTH, blank=True)
    renamed = models.BooleanField(
        default=False,
        help_text="Set once someone renames it; the first message no longer titles it.",
    )
    sharing = models.CharField(max_length=20, choices=Sharing, default=Sharing.PRIVATE)
    trial = models.BooleanField(
        default=False,
        help_text="A test chat of the assistant's page: left out of My threads until kept.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ThreadRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at", "-pk"]
        constraints = [unique("one_record_per_thread", "connection", "thread_id")]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reverse("thread_detail", args=[self.pk])

    @property
    def display_title(self) -> str:
        return self.title or "New chat"

    def can_chat(self, user) -> bool:
        return self.owner_id == user.pk or self.sharing == self.Sharing.TEAM_CHAT

    def share(self, sharing: str) -> bool:
        """Set who may see the thread; True if that changed."""
        if sharing == self.sharing:
            return False
        self.sharing = sharing
        self.save(update_fields=["sharing"])
        return True

    def keep(self) -> None:
        """A test chat becomes an ordinary thread, listed in My threads."""
        self.trial = False
        self.save(update_fields=["trial"])

    def rename(self, title: str) -> None:
        self.title, self.renamed = title.strip()[: self.TITLE_LENGTH], True
        self.save(update_fields=["title", "renamed"])

    def note_user_message(self, text: str) -> None:
        """Bump the activity time; the first message titles the thread until it is renamed."""
        self.last_activity_at = timezone.now()
        fields = ["last_activity_at"]
        if not self.renamed and not self.title:
            self.title = short_title(text)
            fields.append("title")
        self.save(update_fields=fields)

    def note_activity(self) -> None:
        self.last_activity_at = timezone.now()
        self.save(update_fields=["last_activity_at"])


class RunRecord(models.Model):
    """Who started which run on which thread, and the last status the dashboard saw."""

    ACTIVE_STATUSES = ("queued", "in_progress", "requires_action", "cancelling")
    TERMINAL_STATUSES = ("completed", "failed", "cancelled", "expired", "incomplete")

    thread = models.ForeignKey(ThreadRecord, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=100)
    assistant_id = models.CharField(max_length=100)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=30, default="queued")
    last_error = models.TextField(blank=True)  # the API's message for failed/incomplete runs
    options = OrderedJSONField(default=dict, blank=True)  # per-run overrides the person chose
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [unique("one_record_per_run", "thread", "run_id")]

    def __str__(self) -> str:
        return f"{self.run_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    def note_status(self, status: str, last_error: str = "") -> None:
        """Store what the backend said, writing only when it changed."""
        if (status, last_error) != (self.status, self.last_error):
            self.status, self.last_error = status, last_error
            self.save(update_fields=["status", "last_error", "updated_at"])

    def record_outputs(
        self,
        tool_calls: list[dict],
        outputs: list[dict[str, str]],
        user,
        made: list[dict] | None = None,
    ) -> None:
        """Who submitted which output, and how it was made (`made`, one per call: "how" and, for
        an endpoint's answer, its status and time), the API does not know. A call answered
        already (a repeated post the backend refused anyway) keeps its first record."""
        made = made or [{}] * len(tool_calls)
        submissions = [
            ToolOutputSubmission(
                run=self,
                tool_call_id=call["id"],
                function_name=call["function"]["name"][:64],
                arguments=call["function"]["arguments"],
                output=output["output"],
                submitted_by=user,
                how=how.get("how", "typed"),
                endpoint_status=how.get("endpoint_status"),
                endpoint_ms=how.get("endpoint_ms"),
            )
            for call, output, how in zip(tool_calls, outputs, made, strict=True)
        ]
        ToolOutputSubmission.objects.bulk_create(submissions, ignore_conflicts=True)


class ToolOutputSubmission(models.Model):
    """One tool output a person typed for a run's function call: who submitted what, when."""

    run = models.ForeignKey(RunRecord, on_delete=models.CASCADE, related_name="tool_outputs")
    tool_call_id = models.CharField(max_length=100)
    function_name = models.CharField(max_length=64)
    arguments = models.TextField(blank=True)
    output = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    # How the output was made (waiting.HOW) and, for an endpoint's answer, its HTTP status and
    # time; written with the row, so no reader sees a half-made record.
    how = models.CharField(max_length=20, default="typed")
    endpoint_status = models.PositiveSmallIntegerField(null=True, blank=True)
    endpoint_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [unique("one_output_per_tool_call", "run", "tool_call_id")]

    def __str__(self) -> str:
        return f"{self.function_name} → {self.output[:40]}"


# --- The audit trail ------------------------------------------------------------------------


class AuditEventQuerySet(models.QuerySet):
    def for_assistant(self, connection: Connection, assistant_id: str) -> AuditEventQuerySet:
        return self.filter(
            connection=connection, object_type=AuditEvent.ASSISTANT, object_id=assistant_id
        )


class AuditEvent(models.Model):
    """Who did what, when: one row per attributed action, never changed afterwards.

    It names what it describes by type and id rather than by foreign key, so the trail outlives
    deleted assistants, threads and accounts (actor_name keeps the username).
    """

    ASSISTANT, RUN, THREAD, PERSON, CONNECTION, ENGINE_KEY = (
        "assistant", "run", "thread", "person", "connection", "engine_key",
    )  # fmt: skip
    MODEL_PROVIDER, MODEL, MODEL_ALIAS, MODEL_SETTING = (
        "model_provider", "model", "model_alias", "model_setting",
    )  # fmt: skip

    class Action(models.TextChoices):
        SIGNED_IN = "signed_in", "signed in"
        SIGN_IN_FAILED = "sign_in_failed", "failed to sign in"
        ASSISTANT_CREATED = "assistant_created", "created the assistant"
        ASSISTANT_CHANGED = "assistant_changed", "changed the assistant"
        ASSISTANT_DELETED = "assistant_deleted", "deleted the assistant"
        RUN_STARTED = "run_started", "started a run"
        TOOL_OUTPUTS_SUBMITTED = "tool_outputs_submitted", "submitted tool outputs"
        THREAD_SHARING_CHANGED = "thread_sharing_changed", "changed who may see a thread"
        PERSON_ADDED = "person_added", "added a person"
        PERSON_DEACTIVATED = "person_deactivated", "deactivated a person"
        PERSON_REACTIVATED = "person_reactivated", "reactivated a person"
        ROLE_CHANGED = "role_changed", "changed a role"
        SET_PASSWORD_LINK_ISSUED = "set_password_link_issued", "issued a set-password link"
        CONNECTION_CREATED = "connection_created", "added a connection"
        CONNECTION_CHANGED = "connection_changed", "changed a connection"
        CONNECTION_DELETED = "connection_deleted", "deleted a connection"
        CONNECTION_MADE_DEFAULT = "connection_made_default", "made a connection the default"
        ENGINE_KEY_CREATED = "engine_key_created", "created an engine key"
        ENGINE_KEY_REVOKED = "engine_key_revoked", "revoked an engine key"
        ENGINE_KEY_CHANGED = "engine_key_changed", "changed an engine key's access"
        MODEL_PROVIDER_ADDED = "model_provider_added", "added a model provider"
        MODEL_PROVIDER_CHANGED = "model_provider_changed", "changed a model provider"
        MODEL_PROVIDER_DELETED = "model_provider_deleted", "deleted a model provider"
        MODELS_CHANGED = "models_changed", "changed the models served"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(
        max_length=150, blank=True, help_text="The username (the one tried, for a failed sign-in)."
    )
    action = models.CharField(max_length=40, choices=Action, db_index=True)
    object_type = models.CharField(max_length=20, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    object_label = models.CharField(max_length=256, blank=True)
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = OrderedJSONField(
        default=dict, blank=True, help_text="Field by field: {field: [before, after]}."
    )
    details = OrderedJSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor_name or 'someone'} {self.get_action_display()} {self.object_label}"

    @classmethod
    def record(
        cls,
        action: str,
        *,
        actor=None,
        actor_name: str = "",
        object_type: str = "",
        object_id: str = "",
        label: str = "",
        connection: Connection | None = None,
        changes: dict | None = None,
        details: dict | None = None,
        ip_address: str | None = None,
    ) -> AuditEvent:
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor = None
        return cls.objects.create(
            action=action,
            actor=actor,
            actor_name=actor_name or (actor.get_username() if actor else ""),
            object_type=object_type,
            object_id=str(object_id),
            object_label=str(label)[:256],
            connection=connection,
            changes=changes or {},
            details=details or {},
            ip_address=ip_address,
        )

    @property
    def change_rows(self) -> list[tuple[str, object, object]]:
        """(field, before, after), in the order the fields were compared."""
        return [(name, pair[0], pair[1]) for name, pair in self.changes.items()]


def field_changes(before: dict, after: dict, fields: list[str]) -> dict[str, list]:
    """{field: [before, after]} for each of `fields` whose value differs (None when absent)."""
    return {
        name: [before.get(name), after.get(name)]
        for name in fields
        if before.get(name) != after.get(name)
    }


# --- Files and vector stores: who uploaded what, and where it may be seen. ------------------
# The rules in words are in assistants_app/files.py.


class FileRecordQuerySet(models.QuerySet):
    def visible_to(self, user) -> FileRecordQuerySet:
        """Team-library files, and files of the threads a person may open."""
        if not user.is_authenticated:
            return self.none()
        threads = ThreadRecord.objects.visible_to(user)
        return self.filter(Q(thread__isnull=True) | Q(thread__in=threads))

    def readable_ids(self, user, connection: Connection, file_ids: Iterable[str]) -> set[str]:
        """The ids among `file_ids` that `user` may read (download, attach, give an assistant):
        visible records, and files a thread they may open refers to."""
        wanted = set(file_ids)
        if not wanted or not user.is_authenticated:
            return set()
        if manages_files(user):
            return wanted
        recorded = self.visible_to(user).filter(connection=connection, file_id__in=wanted)
        found = set(recorded.values_list("file_id", flat=True))
        referenced = ThreadFile.objects.filter(
            file_id__in=wanted - found,
            thread__in=ThreadRecord.objects.visible_to(user).filter(connection=connection),
        )
        return found | set(referenced.values_list("file_id", flat=True))

    def find(self, connection: Connection, file_id: str) -> FileRecord | None:
        query = self.select_related("uploaded_by", "thread")
        return query.filter(connection=connection, file_id=file_id).first()

    def library(self, connection: Connection) -> FileRecordQuerySet:
        """Files a person may pick for a vector store or an assistant: the team library (a
        chat's attachments and outputs stay in their chat)."""
        query = self.filter(connection=connection, thread__isnull=True)
        return query.exclude(purpose=FileRecord.OUTPUT_PURPOSE)


class FileRecord(BackendObjectRecord, models.Model):
    """Who uploaded a file and where it belongs: the API's file object says neither.

    A file without a thread is in the team library (uploaded on the Files or Vector stores
    page or for an assistant): every member may see it. A file attached to a message, or made
    by the code interpreter in a chat, belongs to that thread and is as private as the thread.
    Backend files without a record (made outside the dashboard) are shown to administrators.
    """

    OUTPUT_PURPOSE = "assistants_output"  # files the code interpreter wrote

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    file_id = models.CharField(max_length=100)
    filename = models.CharField(max_length=255, blank=True)
    purpose = models.CharField(max_length=40, blank=True)
    bytes = models.PositiveBigIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Deleting the thread drops the record: the file then shows to administrators only.
    thread = models.ForeignKey(
        ThreadRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FileRecordQuerySet.as_manager()
    id_field, name_field = "file_id", "filename"

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [unique("one_record_per_file", "connection", "file_id")]

    def can_delete(self, user) -> bool:
        if manages_files(user) or (self.uploaded_by_id and self.uploaded_by_id == user.pk):
            return True
        return self.thread is not None and self.thread.owner_id == user.pk


class ThreadFile(models.Model):
    """A file a thread refers to (a citation, a code interpreter output, an attachment), noted
    when the thread is shown: whoever may open the thread may download it."""

    thread = models.ForeignKey(ThreadRecord, on_delete=models.CASCADE, related_name="file_refs")
    file_id = models.CharField(max_length=100)
    filename = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [unique("one_ref_per_thread_file", "thread", "file_id")]

    def __str__(self) -> str:
        return f"{self.filename or self.file_id} in {self.thread_id}"

    @classmethod
    def note(cls, thread: ThreadRecord, names: dict[str, str]) -> None:
        """Remember the files `thread` refers to ({file_id: filename}); one query."""
        if names:
            rows = [cls(thread=thread, file_id=i, filename=n[:255]) for i, n in names.items()]
            cls.objects.bulk_create(rows, ignore_conflicts=True)


class VectorStoreRecordQuerySet(models.QuerySet):
    def visible_ids(self, user, connection: Connection, store_ids: Iterable[str]) -> set[str]:
        """Vector stores a member may see: those made through the dashboard (all of them for
        administrators)."""
        wanted = set(store_ids)
        if manages_files(user):
            return wanted
        recorded = self.filter(connection=connection, vector_store_id__in=wanted)
        return set(recorded.values_list("vector_store_id", flat=True))

    def find(self, connection: Connection, store_id: str) -> VectorStoreRecord | None:
        query = self.select_related("created_by")
        return query.filter(connection=connection, vector_store_id=store_id).first()


class VectorStoreRecord(BackendObjectRecord, models.Model):
    """Who created a vector store through the dashboard. Stores are shared by the team (every
    member may search them and add or remove files); the creator and administrators may
    delete them. Stores without a record (made elsewhere, or by the engine for a thread's
    attachments) are shown to administrators only."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    vector_store_id = models.CharField(max_length=100)
    name = models.CharField(max_length=256, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VectorStoreRecordQuerySet.as_manager()
    id_field = "vector_store_id"

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [unique("one_record_per_vector_store", "connection", "vector_store_id")]

    def can_delete(self, user) -> bool:
        return manages_files(user) or (
            self.created_by_id is not None and self.created_by_id == user.pk
        )


def deletable(record: FileRecord | VectorStoreRecord | None, user) -> bool:
    """Who may delete a file or a store: what its record says; one made outside the dashboard
    (no record) only those who manage files."""
    return record.can_delete(user) if record is not None else manages_files(user)


# What the dashboard saw of threads' messages, for search.
from .search_models import *  # noqa: E402, F403

# Answering tool calls as a team (waiting runs, answers, saved replies, endpoints).
from .waiting_models import *  # noqa: E402, F403
