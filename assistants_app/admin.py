"""The dashboard's records in the admin. What happened (runs, tool outputs, the audit trail) is
read-only; JSON is pretty-printed; related records link to each other, across to the built-in
engine's records too (thread → runs → steps → tool outputs)."""

from __future__ import annotations

import json
from operator import attrgetter
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import models
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from dashboard.admin_json import json_column, pretty

from .models import (
    Answer,
    AssistantRecord,
    AuditEvent,
    Connection,
    Endpoint,
    FileRecord,
    FunctionAnswering,
    Installation,
    RunRecord,
    SavedReply,
    ThreadFile,
    ThreadMessageIndex,
    ThreadRecord,
    ToolOutputSubmission,
    VectorStoreRecord,
    WaitingRun,
)


def admin_link(url_name: str, object_id: Any, text: Any) -> str:
    """A link to another record's admin page, or the plain text if it has none. Ids are quoted
    as the admin expects ("_" and other characters escaped)."""
    try:
        url = reverse(url_name, args=[quote(object_id)])
        return format_html('<a href="{}">{}</a>', url, text)
    except NoReverseMatch:
        return str(text)


def engine_column(url_name: str, id_field: str, text: str = "", via: str = "connection"):
    """A read-only field linking to the built-in engine's admin page of the same object (found
    by the record's `id_field`), shown as `text` or that id; "—" when the record's connection
    (reached through `via`) is another backend."""
    connection_of = attrgetter(via)

    @admin.display(description="In the built-in engine")
    def show(model_admin: Any, obj: Any) -> str:
        if not connection_of(obj).is_builtin:
            return "—"
        object_id = getattr(obj, id_field)
        return admin_link(url_name, object_id, text or object_id)

    return show


class ShownReadOnly:
    """An admin whose listed `fields` are all shown read-only (computed ones among them)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "fields" in vars(cls):
            cls.readonly_fields = cls.fields


class ReadOnly(ShownReadOnly, admin.ModelAdmin):
    """Records of what happened: looked at, never edited here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ShownReadOnly, admin.TabularInline):
    """A record's children listed on its page: every column shown, none added, changed or
    removed there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "created_by"]
    list_filter = ["created_at"]
    search_fields = ["created_by__username"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["id", "created_at", "created_by"]
    date_hierarchy = "created_at"


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """The API key is not a field here: it is set on the Connections page, and shown masked."""

    list_display = ["name", "kind", "base_url", "api_key_masked", "is_default", "updated_at"]
    list_filter = ["kind", "is_default"]
    search_fields = ["name", "base_url", "default_model"]
    raw_id_fields = ["created_by"]
    date_hierarchy = "created_at"
    fields = [
        "id", "name", "kind", "base_url", "api_key_masked", "organization", "project",
        "api_version", "default_model", "is_default", "created_by", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = ["id", "api_key_masked", "is_default", "created_at", "updated_at"]
    # Like the Connections page: a base URL typed without a scheme means https (Django 6's rule).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="API key")
    def api_key_masked(self, obj: Connection) -> str:
        return obj.masked_api_key or "—"


@admin.register(AssistantRecord)
class AssistantRecordAdmin(admin.ModelAdmin):
    list_display = ["assistant_id", "name", "connection", "created_by", "changed_by", "changed_at"]
    list_filter = ["connection", "changed_at"]
    search_fields = ["assistant_id", "name", "created_by__username", "changed_by__username"]
    raw_id_fields = ["connection", "created_by", "changed_by"]
    list_select_related = ["connection", "created_by", "changed_by"]
    readonly_fields = ["assistant_id", "created_at", "changed_at", "engine_assistant", "history"]
    date_hierarchy = "changed_at"

    engine_assistant = engine_column("admin:engine_assistant_change", "assistant_id")

    @admin.display(description="History")
    def history(self, obj: AssistantRecord) -> str:
        url = reverse("admin:assistants_app_auditevent_changelist")
        return format_html(
            '<a href="{}?object_type=assistant&object_id={}">Every change</a>',
            url,
            obj.assistant_id,
        )


class RunRecordInline(ReadOnlyInline):
    model = RunRecord
    fields = ["run_id", "status", "started_by", "created_at"]
    show_change_link = True


class ThreadFileInline(ReadOnlyInline):
    model = ThreadFile
    fields = ["file_id", "filename"]


@admin.register(ThreadRecord)
class ThreadRecordAdmin(admin.ModelAdmin):
    list_display = ["display_title", "owner", "assistant_name", "sharing", "last_activity_at"]
    list_filter = ["sharing", "connection", "last_activity_at"]
    search_fields = ["title", "thread_id", "assistant_id", "assistant_name", "owner__username"]
    raw_id_fields = ["owner", "connection"]
    readonly_fields = ["thread_id", "engine_thread", "created_at", "last_activity_at"]
    date_hierarchy = "last_activity_at"
    inlines = [RunRecordInline, ThreadFileInline]

    engine_thread = engine_column(
        "admin:engine_thread_change", "thread_id", "Messages, runs and steps"
    )


class ToolOutputInline(ReadOnlyInline):
    model = ToolOutputSubmission
    fields = [
        "tool_call_id",
        "function_name",
        "arguments",
        "output",
        "submitted_by",
        "submitted_at",
    ]
    show_change_link = True


@admin.register(RunRecord)
class RunRecordAdmin(ReadOnly):
    list_display = ["run_id", "thread", "status", "started_by", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["run_id", "thread__thread_id", "thread__title", "started_by__username"]
    raw_id_fields = ["thread", "started_by"]
    fields = [
        "run_id", "thread", "engine_run", "assistant_id", "status", "last_error", "started_by",
        "options_json", "created_at", "updated_at",
    ]  # fmt: skip
    date_hierarchy = "created_at"
    list_select_related = ["thread", "started_by"]
    inlines = [ToolOutputInline]

    options_json = json_column("options", "Options")
    engine_run = engine_column(
        "admin:engine_run_change", "run_id", "The run and its steps", via="thread.connection"
    )


@admin.register(ToolOutputSubmission)
class ToolOutputSubmissionAdmin(ReadOnly):
    list_display = ["tool_call_id", "function_name", "run", "submitted_by", "submitted_at"]
    list_filter = ["function_name", "submitted_at"]
    search_fields = ["tool_call_id", "function_name", "run__run_id", "submitted_by__username"]
    raw_id_fields = ["run", "submitted_by"]
    fields = [
        "tool_call_id", "run", "function_name", "arguments_json", "output", "submitted_by",
        "submitted_at",
    ]  # fmt: skip
    date_hierarchy = "submitted_at"
    list_select_related = ["run", "submitted_by"]

    @admin.display(description="Arguments")
    def arguments_json(self, obj: ToolOutputSubmission) -> str:
        try:
            return pretty(json.loads(obj.arguments))
        except ValueError:
            return obj.arguments


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly):
    """The audit trail: every sign-in and every attributed change. Nobody edits or deletes it."""

    list_display = ["at", "actor_name", "action", "object_type", "object_label", "ip_address"]
    list_filter = ["action", "object_type", "at"]
    search_fields = ["actor_name", "object_id", "object_label", "ip_address"]
    raw_id_fields = ["actor", "connection"]
    date_hierarchy = "at"
    fields = [
        "at", "actor", "actor_name", "action", "object_type", "object_id", "object_label",
        "connection", "change_table", "details_json", "ip_address",
    ]  # fmt: skip
    list_select_related = ["actor"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The assistant record's "Every change" link filters on these.
        return lookup in ("object_type", "object_id") or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description="Changes")
    def change_table(self, obj: AuditEvent) -> str:
        if not obj.changes:
            return "—"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((name, pretty(before), pretty(after)) for name, before, after in obj.change_rows),
        )
        return format_html(
            "<table><thead><tr><th>Field</th><th>Before</th><th>After</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Details")
    def details_json(self, obj: AuditEvent) -> str:
        return pretty(obj.details) if obj.details else "—"


# --- Files and vector stores the dashboard keeps track of -----------------------------------


@admin.register(FileRecord)
class FileRecordAdmin(ReadOnly):
    list_display = [
        "file_id", "filename", "purpose", "bytes", "uploaded_by", "thread", "created_at",
    ]  # fmt: skip
    list_filter = ["purpose", "connection", "created_at"]
    search_fields = ["file_id", "filename", "uploaded_by__username", "thread__title"]
    raw_id_fields = ["connection", "uploaded_by", "thread"]
    readonly_fields = ["file_id", "engine_file", "created_at"]
    date_hierarchy = "created_at"
    list_select_related = ["uploaded_by", "thread"]

    engine_file = engine_column("admin:engine_files_file_change", "file_id")


@admin.register(ThreadFile)
class ThreadFileAdmin(ReadOnly):
    list_display = ["file_id", "filename", "thread"]
    search_fields = ["file_id", "filename", "thread__title", "thread__thread_id"]
    list_filter = ["thread__sharing"]
    raw_id_fields = ["thread"]
    readonly_fields = ["file_id", "filename", "thread"]
    list_select_related = ["thread"]


@admin.register(VectorStoreRecord)
class VectorStoreRecordAdmin(ReadOnly):
    list_display = ["vector_store_id", "name", "created_by", "connection", "created_at"]
    list_filter = ["connection", "created_at"]
    search_fields = ["vector_store_id", "name", "created_by__username"]
    raw_id_fields = ["connection", "created_by"]
    list_select_related = ["connection", "created_by"]
    readonly_fields = ["vector_store_id", "engine_vector_store", "created_at"]
    date_hierarchy = "created_at"

    engine_vector_store = engine_column("admin:engine_files_vectorstore_change", "vector_store_id")


@admin.register(ThreadMessageIndex)
class ThreadMessageIndexAdmin(ReadOnly):
    list_display = ["message_id", "role", "thread"]
    search_fields = ["message_id", "text", "thread__title", "thread__thread_id"]
    list_filter = ["role"]
    raw_id_fields = ["thread"]
    readonly_fields = ["message_id", "role", "thread", "text"]
    list_select_related = ["thread"]


@admin.register(WaitingRun)
class WaitingRunAdmin(ReadOnly):
    list_display = ["run", "round_id", "since", "expires_at", "claimed_by"]
    search_fields = ["run__run_id", "round_id", "claimed_by__username"]
    list_filter = ["since"]
    raw_id_fields = ["run", "claimed_by"]
    list_select_related = ["run", "claimed_by"]
    readonly_fields = ["round_id", "pretty_calls", "pretty_results"]
    exclude = ["calls", "endpoint_results"]
    date_hierarchy = "since"

    pretty_calls = json_column("calls", "Calls")

    pretty_results = json_column("endpoint_results", "Endpoint results")


@admin.register(Answer)
class AnswerAdmin(ReadOnly):
    list_display = ["run", "round_id", "answered_by", "automatic", "sent", "at"]
    search_fields = ["run__run_id", "round_id", "answered_by__username"]
    list_filter = ["automatic", "sent", "at"]
    raw_id_fields = ["run", "answered_by"]
    list_select_related = ["run", "answered_by"]
    readonly_fields = ["round_id", "pretty_outputs"]
    exclude = ["outputs"]
    date_hierarchy = "at"

    pretty_outputs = json_column("outputs", "Outputs")


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["name", "function_name", "assistant_id", "created_by", "updated_at"]
    search_fields = ["name", "function_name", "assistant_id", "text", "created_by__username"]
    list_filter = ["connection", "updated_at"]
    raw_id_fields = ["connection", "created_by"]
    list_select_related = ["created_by"]
    readonly_fields = ["assistant_id", "created_at", "updated_at"]
    date_hierarchy = "created_at"


@admin.register(Endpoint)
class EndpointAdmin(ReadOnly):
    """Endpoints are entered on their own page; here only inspected, headers never shown."""

    list_display = ["name", "url", "timeout_seconds", "max_response_bytes", "created_by"]
    search_fields = ["name", "url", "created_by__username"]
    list_filter = ["created_at"]
    raw_id_fields = ["created_by"]
    list_select_related = ["created_by"]
    readonly_fields = ["name", "url", "has_headers", "created_at", "updated_at"]
    exclude = ["headers"]
    date_hierarchy = "created_at"

    @admin.display(description="Headers", boolean=True)
    def has_headers(self, obj: Endpoint) -> bool:
        return bool(obj.headers)


@admin.register(FunctionAnswering)
class FunctionAnsweringAdmin(ReadOnly):
    list_display = ["function_name", "assistant_id", "mode", "endpoint", "changed_by"]
    search_fields = ["function_name", "assistant_id", "changed_by__username"]
    list_filter = ["mode", "connection", "changed_at"]
    raw_id_fields = ["connection", "endpoint", "changed_by"]
    list_select_related = ["endpoint", "changed_by"]
    readonly_fields = ["assistant_id", "function_name", "mode", "changed_at"]
    date_hierarchy = "changed_at"
