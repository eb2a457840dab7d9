"""What the dashboard saw of each thread's messages, so threads can be searched by content.

The Assistants API cannot search messages, and asking it for every thread's messages on each
search would be far too slow, so every message the chat pane shows (the latest page on each
visit, earlier pages loaded, answers as runs end) is noted here once, its first INDEX_CHARS
characters. Messages nobody has looked at through the dashboard (an earlier page never opened,
messages another program added and nobody has viewed since) are not found by content.
Imported by models.py (Django finds the model there).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from .models import ThreadRecord, unique

__all__ = ["ThreadMessageIndex"]

INDEX_CHARS = 4000


class ThreadMessageIndex(models.Model):
    """One message of a thread as the dashboard saw it (its text, shortened), for search."""

    thread = models.ForeignKey(
        ThreadRecord, on_delete=models.CASCADE, related_name="indexed_messages"
    )
    message_id = models.CharField(max_length=100)
    role = models.CharField(max_length=20)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [unique("one_index_row_per_message", "thread", "message_id")]
        verbose_name_plural = "thread message index"

    def __str__(self) -> str:
        return f"{self.message_id} ({self.role})"

    @classmethod
    def note(cls, thread: ThreadRecord, rows: Iterable[Any]) -> None:
        """Index the messages (anything with id, role, text) not indexed yet: one query when
        all are known already."""
        rows = [row for row in rows if row.id and row.text]
        if not rows:
            return
        known = set(
            cls.objects.filter(thread=thread, message_id__in=[r.id for r in rows]).values_list(
                "message_id", flat=True
            )
        )
        new = [
            cls(thread=thread, message_id=r.id, role=r.role, text=r.text[:INDEX_CHARS])
            for r in rows
            if r.id not in known
        ]
        cls.objects.bulk_create(new, ignore_conflicts=True)
