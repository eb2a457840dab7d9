"""Messages as the chat pane lists them: oldest first, the run-steps inspector on the last
message of each assistant turn. Plain data, so the pane (chat.py) and the files shown with a
message (message_files.py) both build on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .services.types import Message


@dataclass
class MessageRow:
    """One message as the chat pane shows it."""

    id: str
    role: str
    text: str
    created: datetime | None
    author: str
    run_id: str | None
    steps_run_id: str | None = None  # set on the last message of an assistant turn
    files: Any = None  # citations, images, attachments, tool steps (message_files.decorate)


def message_rows(newest_first: list[Message]) -> list[MessageRow]:
    """Messages oldest first; the last message of each run carries the run-steps inspector."""
    rows = [
        MessageRow(
            id=m.id,
            role=m.role if m.role in ("user", "assistant") else "assistant",
            text=m.text,
            created=datetime.fromtimestamp(m.created_at, tz=UTC) if m.created_at else None,
            author=(m.metadata or {}).get("sent_by", ""),
            run_id=m.run_id,
        )
        for m in reversed(newest_first)
    ]
    for row, following in zip(rows, [*rows[1:], None], strict=False):
        if row.run_id and (following is None or following.run_id != row.run_id):
            row.steps_run_id = row.run_id
    return rows
