from django.contrib import admin

from .models import Installation


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "created_by"]
    list_filter = ["created_at"]
    search_fields = ["created_by__username"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["id", "created_at", "created_by"]
