from django.contrib import admin

from .models import AssistantRecord, Installation, RunRecord, ThreadRecord, ToolOutputSubmission


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "created_by"]
    list_filter = ["created_at"]
    search_fields = ["created_by__username"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["id", "created_at", "created_by"]


@admin.register(AssistantRecord)
class AssistantRecordAdmin(admin.ModelAdmin):
    list_display = ["assistant_id", "name", "connection", "created_by", "changed_by", "changed_at"]
    list_filter = ["connection", "changed_at"]
    search_fields = ["assistant_id", "name", "created_by__username", "changed_by__username"]
    raw_id_fields = ["created_by", "changed_by"]
    readonly_fields = ["assistant_id", "created_at", "changed_at"]
    date_hierarchy = "changed_at"


class RunRecordInline(admin.TabularInline):
    model = RunRecord
    fields = ["run_id", "status", "started_by", "created_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False


@admin.register(ThreadRecord)
class ThreadRecordAdmin(admin.ModelAdmin):
    list_display = ["display_title", "owner", "assistant_name", "sharing", "last_activity_at"]
    list_filter = ["sharing", "connection", "last_activity_at"]
    search_fields = ["title", "thread_id", "assistant_id", "assistant_name", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["thread_id", "created_at", "last_activity_at"]
    date_hierarchy = "last_activity_at"
    inlines = [RunRecordInline]


class ToolOutputInline(admin.TabularInline):
    model = ToolOutputSubmission
    fields = [
        "tool_call_id",
        "function_name",
        "arguments",
        "output",
        "submitted_by",
        "submitted_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(RunRecord)
class RunRecordAdmin(admin.ModelAdmin):
    list_display = ["run_id", "thread", "status", "started_by", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["run_id", "thread__thread_id", "thread__title", "started_by__username"]
    raw_id_fields = ["thread", "started_by"]
    readonly_fields = ["run_id", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [ToolOutputInline]


@admin.register(ToolOutputSubmission)
class ToolOutputSubmissionAdmin(admin.ModelAdmin):
    list_display = ["tool_call_id", "function_name", "run", "submitted_by", "submitted_at"]
    list_filter = ["function_name", "submitted_at"]
    search_fields = ["tool_call_id", "function_name", "run__run_id", "submitted_by__username"]
    raw_id_fields = ["run", "submitted_by"]
    readonly_fields = ["tool_call_id", "submitted_at"]
    date_hierarchy = "submitted_at"
