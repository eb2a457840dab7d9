"""Background ingestion (django-tasks, run by the engine worker like runs): each vector store
file is enqueued once its transaction commits, and a datagram wakes a sleeping worker."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from engine import wakeup


@task()
def ingest_file(entry_id: int, attempt: int) -> None:
    from .ingest import ingest

    ingest(entry_id, attempt)


def _enqueue(entry_id: int, attempt: int) -> None:
    ingest_file.enqueue(entry_id, attempt)
    wakeup.task_queued()


def enqueue_ingestion(entry_id: int, attempt: int) -> None:
    transaction.on_commit(lambda: _enqueue(entry_id, attempt))
