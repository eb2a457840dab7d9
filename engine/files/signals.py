"""Housekeeping when engine records go away."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from engine.models import Thread

from .models import File


@receiver(post_delete, sender=Thread)
def thread_deleted(sender: type, instance: Thread, **kwargs: Any) -> None:
    """A deleted thread's working folder and its store of attached files go with it."""
    from .tools import forget_thread

    thread_id = instance.pk
    transaction.on_commit(lambda: forget_thread(thread_id))


@receiver(post_delete, sender=File)
def file_deleted(sender: type, instance: File, **kwargs: Any) -> None:
    """The stored bytes of a deleted file (also when deleted by a cascade or the admin)."""
    name, storage = instance.content.name, instance.content.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
