"""A thread exported as Markdown or JSON: every message, oldest first, with who wrote it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import islice

from django.utils import timezone
from django.utils.text import slugify

from .models import ThreadRecord
from .services import AssistantsClient
from .services.types import Message

EXPORT_PAGE = 100
EXPORT_MAX_MESSAGES = 10_000  # a bound on one download; far beyond any conversation read whole


def all_messages(client: AssistantsClient, thread: ThreadRecord) -> list[Message]:
    """Every message of the thread, oldest first, page by page (the cursor page walks on)."""
    first = client.threads.messages.list(thread.thread_id, order="asc", limit=EXPORT_PAGE)
    return list(islice(first, EXPORT_MAX_MESSAGES))


def _when(timestamp: int | None) -> str | None:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat() if timestamp else None


def _author(thread: ThreadRecord, message: Message) -> str:
    if message.role == "user":
        return (message.metadata or {}).get("sent_by") or thread.owner.get_username()
    return thread.assistant_name or "Assistant"


def as_json(thread: ThreadRecord, messages: list[Message]) -> str:
    data = {
        "thread": {
            "id": thread.thread_id,
            "title": thread.display_title,
            "assistant_id": thread.assistant_id,
            "assistant_name": thread.assistant_name,
            "owner": thread.owner.get_username(),
            "created_at": thread.created_at.isoformat(),
            "exported_at": timezone.now().isoformat(),
        },
        "messages": [
            {
                "id": m.id,
                "role": m.role,
                "author": _author(thread, m),
                "created_at": _when(m.created_at),
                "run_id": m.run_id,
                "edit_of": (m.metadata or {}).get("edit_of"),
                "text": m.text,
            }
            for m in messages
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def as_markdown(thread: ThreadRecord, messages: list[Message]) -> str:
    lines = [
        f"# {thread.display_title}",
        "",
        f"With {thread.assistant_name or thread.assistant_id}, started "
        f"{thread.created_at:%Y-%m-%d %H:%M} UTC, exported {timezone.now():%Y-%m-%d %H:%M} UTC.",
    ]
    for m in messages:
        when = (
            f" · {datetime.fromtimestamp(m.created_at, tz=UTC):%Y-%m-%d %H:%M}"
            if m.created_at
            else ""
        )
        edited = " (edited)" if (m.metadata or {}).get("edit_of") else ""
        lines += ["", f"## {_author(thread, m)}{edited}{when}", "", m.text.strip()]
    return "\n".join(lines) + "\n"


EXPORTS = {
    "md": (as_markdown, "text/markdown; charset=utf-8"),
    "json": (as_json, "application/json"),
}


def filename(thread: ThreadRecord, extension: str) -> str:
    return f"{slugify(thread.display_title)[:60] or 'thread'}.{extension}"
