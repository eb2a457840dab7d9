"""Files, vector stores, their files, batches and chunks, for inspection by staff (read-only,
like every engine record: changes go through the API)."""

from __future__ import annotations

from django.contrib import admin

from engine.admin import InspectOnly, InspectOnlyInline

from .models import Chunk, File, FileBatch, VectorStore, VectorStoreFile


@admin.register(File)
class FileAdmin(InspectOnly):
    list_display = [
        "id",
        "filename",
        "purpose",
        "bytes",
        "created_by_key",
        "created_at",
        "expires_at",
    ]
    list_filter = ["purpose", "created_by_key", "created_at"]
    search_fields = ["id", "filename"]
    raw_id_fields = ["created_by_key"]
    list_select_related = ["created_by_key"]
    date_hierarchy = "created_at"


class VectorStoreFileInline(InspectOnlyInline):
    model = VectorStoreFile
    fields = ["file", "status", "usage_bytes", "created_at"]
    raw_id_fields = ["file"]


@admin.register(VectorStore)
class VectorStoreAdmin(InspectOnly):
    list_display = ["id", "name", "thread_id", "created_by_key", "private", "created_at"]
    list_filter = ["private", "created_by_key", "created_at"]
    search_fields = ["id", "name", "thread_id"]
    raw_id_fields = ["created_by_key"]
    list_select_related = ["created_by_key"]
    date_hierarchy = "created_at"
    inlines = [VectorStoreFileInline]


@admin.register(VectorStoreFile)
class VectorStoreFileAdmin(InspectOnly):
    list_display = ["file", "vector_store", "status", "usage_bytes", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["file__id", "file__filename", "vector_store__id"]
    raw_id_fields = ["file", "vector_store", "batch"]
    list_select_related = ["file", "vector_store"]
    date_hierarchy = "created_at"


@admin.register(FileBatch)
class FileBatchAdmin(InspectOnly):
    list_display = ["id", "vector_store", "created_at", "cancelled_at"]
    list_filter = ["created_at"]
    search_fields = ["id", "vector_store__id"]
    raw_id_fields = ["vector_store"]
    date_hierarchy = "created_at"


@admin.register(Chunk)
class ChunkAdmin(InspectOnly):
    list_display = ["id", "file_id", "vector_store_id", "position", "tokens"]
    search_fields = ["file_id", "vector_store_id"]
    raw_id_fields = ["vector_store_file"]
    list_select_related = ["vector_store_file"]
