"""Every engine record, for inspection by staff: ids and payloads are read-only, JSON is shown
pretty-printed. Changing API objects belongs to the API; keys are managed here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import JSONField
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from dashboard.admin_json import json_column

from .models import (
    Assistant,
    EngineKey,
    Listener,
    Message,
    ModelAlias,
    ModelProvider,
    MonthlyTokens,
    ProviderModel,
    RoutingSettings,
    Run,
    RunStep,
    Thread,
    TokenBudget,
)


class InspectOnly(admin.ModelAdmin):
    """Read-only records whose JSON fields are rendered pretty-printed."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            f"{field.name}_json" if isinstance(field, JSONField) else field.name
            for field in self.model._meta.fields
        ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_readonly_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        # `<field>_json` read-only columns, made on demand for every JSON field.
        if name.endswith("_json"):
            return json_column(name.removesuffix("_json")).__get__(self)
        raise AttributeError(name)


class InspectOnlyInline(admin.TabularInline):
    """Read-only rows of `fields`, each linking to its record's page; none added or deleted."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assistant)
class AssistantAdmin(InspectOnly):
    list_display = ["id", "name", "model", "created_by_key", "created_at"]
    list_filter = ["model", "created_by_key", "created_at"]
    search_fields = ["id", "name", "description"]
    raw_id_fields = ["created_by_key"]
    list_select_related = ["created_by_key"]
    date_hierarchy = "created_at"


class RunInline(InspectOnlyInline):
    model = Run
    fields = ["id", "status", "model", "assistant_id", "created_at"]


class MessageInline(InspectOnlyInline):
    model = Message
    fields = ["id", "role", "status", "run", "created_at"]


@admin.register(Thread)
class ThreadAdmin(InspectOnly):
    list_display = ["id", "created_by_key", "created_at"]
    list_filter = ["created_by_key", "created_at"]
    search_fields = ["id"]
    raw_id_fields = ["created_by_key"]
    list_select_related = ["created_by_key"]
    date_hierarchy = "created_at"
    inlines = [MessageInline, RunInline]


@admin.register(Message)
class MessageAdmin(InspectOnly):
    list_display = ["id", "thread", "role", "status", "run", "created_at"]
    list_select_related = ["thread", "run"]  # run is nullable: Django would not join it itself
    list_filter = ["status", "role", "created_at"]
    search_fields = ["id", "thread__id", "run__id", "assistant_id"]
    raw_id_fields = ["thread", "run"]
    date_hierarchy = "created_at"


class RunStepInline(InspectOnlyInline):
    model = RunStep
    fields = ["id", "type", "status", "created_at", "completed_at"]


@admin.register(Run)
class RunAdmin(InspectOnly):
    list_display = ["id", "thread", "status", "model", "assistant_id", "created_at", "retries"]
    list_filter = ["status", "model", "created_at"]
    search_fields = ["id", "thread__id", "assistant_id"]
    raw_id_fields = ["thread"]
    date_hierarchy = "created_at"
    inlines = [RunStepInline]


@admin.register(RunStep)
class RunStepAdmin(InspectOnly):
    list_display = ["id", "run", "type", "status", "created_at"]
    list_filter = ["status", "type", "run__model", "created_at"]
    search_fields = ["id", "run__id", "thread__id"]
    raw_id_fields = ["run", "thread"]
    date_hierarchy = "created_at"


@admin.register(Listener)
class ListenerAdmin(InspectOnly):
    list_display = ["id", "kind", "host", "port", "pid", "seen_at"]
    list_filter = ["kind"]
    search_fields = ["id", "pid"]
    date_hierarchy = "seen_at"


@admin.register(EngineKey)
class EngineKeyAdmin(admin.ModelAdmin):
    """Inspection only: keys are created (shown once, never through a message cookie),
    given team access and revoked, with an audit entry, on the dashboard's Engine keys page."""

    list_display = [
        "name",
        "prefix",
        "team_access",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["team_access", "revoked_at", "created_at"]
    search_fields = ["id", "name", "prefix", "created_by__username"]
    raw_id_fields = ["created_by"]
    list_select_related = ["created_by"]  # nullable: Django would not join it itself
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "team_access",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The queue of background tasks (django-tasks-db) the worker executes: searchable by task and
# date, its JSON pretty-printed like every engine record.
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    search_fields = ["id", "task_path", "worker_ids"]
    date_hierarchy = "enqueued_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            f"{name}_json" if name in ("args_kwargs", "return_value", "worker_ids") else name
            for name in super().get_readonly_fields(request, obj)
        ]

    args_kwargs_json = json_column("args_kwargs")
    return_value_json = json_column("return_value")
    worker_ids_json = json_column("worker_ids")


# Model providers: managed on the dashboard's Models page, inspected here (keys masked).


@admin.register(ModelProvider)
class ModelProviderAdmin(InspectOnly):
    list_display = ["name", "kind", "base_url", "enabled", "from_environment", "listed_at"]
    search_fields = ["name", "base_url"]
    list_filter = ["kind", "enabled", "from_environment"]
    raw_id_fields = ["created_by"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = super().get_readonly_fields(request, obj)
        return ["masked_key" if name == "api_key" else name for name in fields]


@admin.register(ProviderModel)
class ProviderModelAdmin(InspectOnly):
    list_display = ["model_id", "name", "provider", "enabled", "discovered"]
    search_fields = ["model_id", "name"]
    list_filter = ["enabled", "discovered", "provider"]
    raw_id_fields = ["provider"]
    date_hierarchy = "created_at"


@admin.register(ModelAlias)
class ModelAliasAdmin(InspectOnly):
    list_display = ["pattern", "target", "created_at"]
    search_fields = ["pattern", "target"]
    list_filter = ["created_at"]
    date_hierarchy = "created_at"


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(InspectOnly):
    list_display = ["unknown_models", "updated_at"]
    search_fields = ["unknown_models"]
    list_filter = ["unknown_models"]
    date_hierarchy = "updated_at"


@admin.register(TokenBudget)
class TokenBudgetAdmin(InspectOnly):
    list_display = ["__str__", "person", "key", "monthly_tokens", "updated_at"]
    list_select_related = ["person", "key"]  # both nullable: Django would not join them itself
    search_fields = ["person__username", "key__name"]
    list_filter = ["updated_at"]
    raw_id_fields = ["person", "key"]
    date_hierarchy = "updated_at"


@admin.register(MonthlyTokens)
class MonthlyTokensAdmin(InspectOnly):
    list_display = ["month", "person", "key", "tokens"]
    list_select_related = ["person", "key"]  # both nullable: Django would not join them itself
    search_fields = ["person__username", "key__name"]
    list_filter = ["month"]
    raw_id_fields = ["person", "key"]
