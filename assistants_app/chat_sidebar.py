"""The conversation sidebar beside the chat: the threads one may open, newest first, searched
by title and by what the dashboard has seen of their messages (search_models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode

from .models import ThreadRecord

SIDEBAR_THREADS = 50


@dataclass
class Sidebar:
    user: Any
    query: str = ""
    current: int | None = None  # the open thread's pk: highlighted
    assistant_id: str = ""  # "New chat" starts one with this assistant

    @cached_property
    def _threads(self) -> list[ThreadRecord]:
        threads = ThreadRecord.objects.visible_to(self.user).listed().select_related("owner")
        if self.query:
            threads = threads.matching(self.query)
        return list(threads[: SIDEBAR_THREADS + 1])

    @property
    def threads(self) -> list[ThreadRecord]:
        return self._threads[:SIDEBAR_THREADS]

    @property
    def more(self) -> bool:
        """More threads than shown: the full list is on the Threads page."""
        return len(self._threads) > SIDEBAR_THREADS

    @property
    def new_chat_url(self) -> str:
        return new_chat_url(self.assistant_id)


def new_chat_url(assistant_id: str) -> str:
    """The empty chat with `assistant_id` (or the default one when blank)."""
    url = reverse("thread_create")
    return f"{url}?{urlencode({'assistant': assistant_id})}" if assistant_id else url
