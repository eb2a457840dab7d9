"""Files, vector stores and their chunks, stored as the Assistants API shapes them.

A vector store file is the API's join of a store and a file (its id is the file's id); its
text is extracted and chunked by a background task (engine.files.tasks). Chunks are searched
through a full-text index the migrations create for the database in use (SQLite FTS5 or a
PostgreSQL tsvector with a GIN index); see engine.files.search.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from dashboard.fields import OrderedJSONField
from engine.models import EngineKey, KeyScopedQuerySet, _new_id, unix


def file_id() -> str:
    return _new_id("file-")


def vector_store_id() -> str:
    return _new_id("vs_")


def batch_id() -> str:
    return _new_id("vsfb_")


def auto_chunking() -> dict[str, Any]:
    return {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}


def _storage_name(instance: File, filename: str) -> str:
    # The id, not the user's file name, names the blob: no path tricks, no collisions.
    return f"engine/files/{instance.id}"


# ---------------------------------------------------------------------------------------------
# Files


class FileQuerySet(KeyScopedQuerySet):
    """Files are private to the key that made them (the dashboard's to the dashboard)."""

    def live(self, now: datetime | None = None) -> FileQuerySet:
        now = now or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class File(models.Model):
    PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
    OUTPUT = "assistants_output"  # files the code interpreter writes
    ALL_PURPOSES = (*PURPOSES, OUTPUT, "batch_output", "fine-tune-results")

    id = models.CharField(primary_key=True, max_length=40, default=file_id, editable=False)
    filename = models.CharField(max_length=255)
    purpose = models.CharField(max_length=32, choices=[(p, p) for p in ALL_PURPOSES], db_index=True)
    bytes = models.PositiveBigIntegerField(default=0)
    content = models.FileField(upload_to=_storage_name, max_length=255)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by_key = models.ForeignKey(
        EngineKey,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The key that made it (for code interpreter output: the thread's), the only "
        "one that sees it; empty: the dashboard.",
    )

    objects = FileQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.id} ({self.filename})"

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": unix(self.created_at),
            "expires_at": unix(self.expires_at),
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }

    @classmethod
    def store(cls, *, filename: str, purpose: str, upload: Any, **fields: Any) -> File:
        """A new file holding `upload` (a Django File), saved through the default storage."""
        found = cls(filename=filename, purpose=purpose, bytes=upload.size, **fields)
        found.content.save(found.id, upload, save=False)
        found.save()
        return found

    def read(self) -> bytes:
        with self.content.open("rb") as handle:
            return handle.read()

    def remove(self) -> None:
        """Delete the file and its place in every vector store (its blob goes after commit,
        see engine.files.signals)."""
        stores = list(
            VectorStore.objects.filter(files__file=self).values_list("pk", flat=True).distinct()
        )
        self.delete()
        VectorStore.objects.filter(pk__in=stores).update(last_active_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Vector stores


class Counts:
    """file_counts, computed in one aggregate query."""

    STATUSES = ("in_progress", "completed", "failed", "cancelled")

    @staticmethod
    def of(files: models.QuerySet) -> dict[str, int]:
        totals = files.aggregate(
            total=Count("pk"),
            **{s: Count("pk", filter=Q(status=s)) for s in Counts.STATUSES},
        )
        return {s: totals[s] or 0 for s in (*Counts.STATUSES, "total")}


class VectorStoreQuerySet(KeyScopedQuerySet):
    # The team's, except the stores the engine makes for one thread (see `private`).
    TEAM = Q(private=False)

    def with_counts(self) -> VectorStoreQuerySet:
        """file_counts and usage_bytes in the same query as the stores (a list page of 100
        stores would otherwise make 200 aggregate queries)."""
        return self.annotate(
            counted_total=Count("files"),
            counted_usage=Sum("files__usage_bytes"),
            **{f"counted_{s}": Count("files", filter=Q(files__status=s)) for s in Counts.STATUSES},
        )


class VectorStore(models.Model):
    IN_PROGRESS, COMPLETED, EXPIRED = "in_progress", "completed", "expired"
    ATTACHMENTS_NAME = "Files attached to a thread"

    id = models.CharField(primary_key=True, max_length=40, default=vector_store_id, editable=False)
    name = models.CharField(max_length=256, blank=True, default="")
    description = models.CharField(max_length=512, null=True, blank=True)  # noqa: DJ001
    metadata = OrderedJSONField(default=dict, blank=True)
    expires_after = OrderedJSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_active_at = models.DateTimeField(default=timezone.now)
    # Set on stores the engine makes from message attachments (one per thread).
    thread_id = models.CharField(max_length=40, blank=True, default="", db_index=True)
    created_by_key = models.ForeignKey(
        EngineKey,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The key that made it; empty: the dashboard.",
    )
    private = models.BooleanField(
        default=False,
        help_text="Made by the engine for one thread (its tool_resources helper or its "
        "attachments): only the thread's maker sees it, whatever a key's team access.",
    )

    objects = VectorStoreQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id

    @property
    def expires_at(self) -> datetime | None:
        if not self.expires_after:
            return None
        return self.last_active_at + timedelta(days=int(self.expires_after["days"]))

    def status(self, counts: dict[str, int]) -> str:
        expires = self.expires_at
        if expires is not None and expires <= timezone.now():
            return self.EXPIRED
        return self.IN_PROGRESS if counts["in_progress"] else self.COMPLETED

    def to_api(self) -> dict[str, Any]:
        if hasattr(self, "counted_total"):  # from VectorStore.objects.with_counts()
            counts = {s: getattr(self, f"counted_{s}") for s in (*Counts.STATUSES, "total")}
            usage = self.counted_usage or 0
        else:
            counts = Counts.of(self.files.all())
            usage = self.files.aggregate(total=Sum("usage_bytes"))["total"] or 0
        return {
            "id": self.id,
            "object": "vector_store",
            "created_at": unix(self.created_at),
            "name": self.name,
            "description": self.description,
            "usage_bytes": usage,
            "file_counts": counts,
            "status": self.status(counts),
            "expires_after": self.expires_after,
            "expires_at": unix(self.expires_at),
            "last_active_at": unix(self.last_active_at),
            "metadata": self.metadata,
        }

    def touch(self) -> None:
        VectorStore.objects.filter(pk=self.pk).update(last_active_at=timezone.now())

    def add_files(
        self,
        files: list[File],
        *,
        chunking_strategy: dict[str, Any] | None = None,
        attributes: dict[str, Any] | None = None,
        batch: FileBatch | None = None,
        enqueue: bool = True,
    ) -> list[VectorStoreFile]:
        """Attach `files` (again, if already attached: they are re-ingested) and queue their
        ingestion once the transaction commits."""
        from . import tasks

        added = []
        for found in files:
            entry, _ = VectorStoreFile.objects.update_or_create(
                vector_store=self,
                file=found,
                defaults={
                    "status": VectorStoreFile.IN_PROGRESS,
                    "last_error": None,
                    "usage_bytes": 0,
                    "chunking_strategy": chunking_strategy or auto_chunking(),
                    "attributes": attributes if attributes is not None else {},
                    "batch": batch,
                    "created_at": timezone.now(),
                },
            )
            entry.attempt += 1
            entry.save(update_fields=["attempt"])
            entry.chunks.all().delete()
            if enqueue:
                tasks.enqueue_ingestion(entry.pk, entry.attempt)
            added.append(entry)
        self.touch()
        return added


class VectorStoreFileQuerySet(models.QuerySet["VectorStoreFile"]):
    def stale(self, now: datetime | None = None) -> VectorStoreFileQuerySet:
        """Ingestions nobody has worked on for a while (their worker stopped)."""
        now = now or timezone.now()
        patience = timedelta(seconds=settings.ENGINE_FILE_INGEST_STALE_SECONDS)
        return self.filter(status=VectorStoreFile.IN_PROGRESS, updated_at__lt=now - patience)

    def requeue_stale(self) -> int:
        from . import tasks

        requeued = 0
        for entry in self.stale():
            won = VectorStoreFile.objects.filter(
                pk=entry.pk, status=entry.IN_PROGRESS, attempt=entry.attempt
            ).update(attempt=entry.attempt + 1, updated_at=timezone.now())
            if won:
                tasks.enqueue_ingestion(entry.pk, entry.attempt + 1)
                requeued += 1
        return requeued


class VectorStoreFile(models.Model):
    IN_PROGRESS, COMPLETED, FAILED, CANCELLED = "in_progress", "completed", "failed", "cancelled"
    STATUSES = [(s, s) for s in (IN_PROGRESS, COMPLETED, FAILED, CANCELLED)]

    vector_store = models.ForeignKey(VectorStore, on_delete=models.CASCADE, related_name="files")
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="vector_store_files")
    batch = models.ForeignKey(
        "FileBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="files"
    )
    status = models.CharField(max_length=16, choices=STATUSES, default=IN_PROGRESS, db_index=True)
    last_error = models.JSONField(null=True, blank=True)
    usage_bytes = models.PositiveBigIntegerField(default=0)
    chunking_strategy = OrderedJSONField(default=auto_chunking)
    attributes = OrderedJSONField(default=dict, null=True, blank=True)
    text = models.TextField(blank=True, default="", help_text="The extracted text.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    attempt = models.PositiveIntegerField(default=0, help_text="Fencing token: +1 per ingestion.")

    objects = VectorStoreFileQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["vector_store", "file"], name="one_file_per_store")
        ]

    def __str__(self) -> str:
        return f"{self.file_id} in {self.vector_store_id}"

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.file_id,
            "object": "vector_store.file",
            "usage_bytes": self.usage_bytes,
            "created_at": unix(self.created_at),
            "vector_store_id": self.vector_store_id,
            "status": self.status,
            "last_error": self.last_error,
            "chunking_strategy": self.chunking_strategy,
            "attributes": self.attributes,
        }


class FileBatch(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=batch_id, editable=False)
    vector_store = models.ForeignKey(VectorStore, on_delete=models.CASCADE, related_name="batches")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "file batches"

    def __str__(self) -> str:
        return self.id

    def to_api(self) -> dict[str, Any]:
        counts = Counts.of(self.files.all())
        if self.cancelled_at is not None:
            status = "cancelled"
        elif counts["in_progress"]:
            status = "in_progress"
        elif counts["total"] and counts["failed"] == counts["total"]:
            status = "failed"
        else:
            status = "completed"
        return {
            "id": self.id,
            "object": "vector_store.files_batch",
            "created_at": unix(self.created_at),
            "vector_store_id": self.vector_store_id,
            "status": status,
            "file_counts": counts,
        }

    def cancel(self) -> None:
        """Files not yet ingested are cancelled; an ingestion finishing later loses its race."""
        now = timezone.now()
        with transaction.atomic():
            if FileBatch.objects.filter(pk=self.pk, cancelled_at__isnull=True).update(
                cancelled_at=now
            ):
                self.files.filter(status=VectorStoreFile.IN_PROGRESS).update(
                    status=VectorStoreFile.CANCELLED, updated_at=now
                )
        self.refresh_from_db()


# ---------------------------------------------------------------------------------------------
# Chunks


class Chunk(models.Model):
    """A window of a vector store file's text. `terms` (engine.files.text.terms) is what the
    full-text index holds; `embedding` (float32 bytes) is set when embeddings are on."""

    id = models.BigAutoField(primary_key=True)
    vector_store_file = models.ForeignKey(
        VectorStoreFile, on_delete=models.CASCADE, related_name="chunks"
    )
    vector_store_id = models.CharField(max_length=40, db_index=True)
    file_id = models.CharField(max_length=40)
    position = models.PositiveIntegerField()
    text = models.TextField()
    terms = models.TextField()
    term_count = models.PositiveIntegerField(default=0)
    tokens = models.PositiveIntegerField(default=0)
    embedding = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["vector_store_file", "position"]

    def __str__(self) -> str:
        return f"{self.file_id}#{self.position}"
