"""What the chat pane needs beyond single API calls: shared run status, message rows, words.

The run status is fetched at most once per DASHBOARD_RUN_STATUS_TTL per run, whoever is
watching: the first viewer to find the cached copy stale takes a short lock (cache.add is
atomic) and asks the backend; everyone else is served the copy in the cache meanwhile.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache

from . import audit
from .models import RunRecord, ThreadRecord
from .services import AssistantsClient
from .services.types import Message, Run

FIRST_POLL_DELAY_MS = 200
MAX_POLL_DELAY_MS = 2000
_LOCK_SECONDS = 30  # longer than any backend call; released as soon as the call returns
_KEEP_SECONDS = 3600

STATUS_WORDS = {
    "queued": "Waiting to start",
    "in_progress": "Working on an answer",
    "requires_action": "Waiting for your tool outputs",
    "cancelling": "Cancelling",
    "cancelled": "The run was cancelled",
    "completed": "Completed",
    "failed": "The run failed",
    "expired": "The run expired before the tool outputs arrived",
    "incomplete": "The answer is incomplete",
}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


def next_poll_delay(delay_ms: int) -> int:
    """Back off from FIRST_POLL_DELAY_MS, doubling, to at most MAX_POLL_DELAY_MS."""
    return max(FIRST_POLL_DELAY_MS, min(delay_ms * 2, MAX_POLL_DELAY_MS))


def _key(run_id: str) -> str:
    return f"dashboard:run:{run_id}"


def remember_run(record: RunRecord, run: Run) -> None:
    """Keep a run the backend just returned (create, cancel, submit) as the fresh copy."""
    cache.set(_key(run.id), {"at": time.time(), "run": run.model_dump(mode="json")}, _KEEP_SECONDS)
    record.note_status(run.status, run_error(run))


def current_run(record: RunRecord, client: AssistantsClient) -> Run:
    """The run as last reported by the backend, asking it at most once per TTL for everyone."""
    key, ttl = _key(record.run_id), settings.DASHBOARD_RUN_STATUS_TTL
    cached = cache.get(key)
    if cached and time.time() - cached["at"] < ttl:
        return Run.model_validate(cached["run"])
    if not cache.add(f"{key}:lock", 1, _LOCK_SECONDS):
        # Another viewer is asking the backend right now: serve the copy we have, or wait
        # briefly for theirs rather than making a second call.
        deadline = time.monotonic() + 2
        while cached is None and time.monotonic() < deadline:
            time.sleep(0.02)
            cached = cache.get(key)
        if cached is not None:
            return Run.model_validate(cached["run"])
    try:
        run = client.threads.runs.retrieve(record.run_id, thread_id=record.thread.thread_id)
    finally:
        cache.delete(f"{key}:lock")
    remember_run(record, run)
    return run


def run_error(run: Run) -> str:
    """The API's own words for why a run did not complete."""
    if run.last_error and run.last_error.message:
        return run.last_error.message
    if run.status == "incomplete" and run.incomplete_details and run.incomplete_details.reason:
        return f"stopped early ({run.incomplete_details.reason.replace('_', ' ')})"
    return ""


def elapsed_seconds(run: Run) -> int:
    start = run.started_at or run.created_at
    end = run.completed_at or run.failed_at or run.cancelled_at or time.time()
    return max(0, int(end - start)) if start else 0


def expires_in_words(run: Run) -> str:
    if not run.expires_at:
        return ""
    left = int(run.expires_at - time.time())
    if left <= 0:
        return "This run has expired"
    return f"{left // 60} min {left % 60} s left before this run expires"


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


def start_run(
    thread: ThreadRecord, client: AssistantsClient, user, options: dict
) -> tuple[RunRecord, Run]:
    """Create a run on the thread and record who started it."""
    run = client.threads.runs.create(thread.thread_id, assistant_id=thread.assistant_id, **options)
    record = RunRecord.objects.create(
        thread=thread,
        run_id=run.id,
        assistant_id=thread.assistant_id,
        started_by=user,
        status=run.status,
        options=options,
    )
    audit.run_started(record, user)
    remember_run(record, run)
    return record, run
