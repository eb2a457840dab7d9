"""Messages as the chat pane lists them: oldest first, the run-steps inspector on the last
message of each assistant turn. Plain data, so the pane (chat.py) and the files shown with a
message (message_files.py) both build on it.

An edited message is sent again as a new message whose metadata says which one it replaces
(`edit_of`); the messages from the replaced one up to the edit stay, marked `before_edit`."""

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
    edit_of: str = ""  # this message is an edited copy of that one
    before_edit: bool = False  # a later message is an edit of this one or of one before it
    mine: bool = False  # the person viewing sent it (they may edit it): set by the pane


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
            edit_of=str((m.metadata or {}).get("edit_of", "")),
        )
        for m in reversed(newest_first)
    ]
    mark_before_edits(rows)
    for row, following in zip(rows, [*rows[1:], None], strict=False):
        if row.run_id and (following is None or following.run_id != row.run_id):
            row.steps_run_id = row.run_id
    return rows


def mark_before_edits(rows: list[MessageRow]) -> None:
    """Mark what an edit replaced: from the edited message (or from the top of the page, when
    it is on an earlier page) up to the edited copy."""
    index = {row.id: i for i, row in enumerate(rows)}
    for at, row in enumerate(rows):
        if row.edit_of:
            for earlier in rows[index.get(row.edit_of, 0) : at]:
                earlier.before_edit = True
