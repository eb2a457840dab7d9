"""The audit trail's entries, one call from each view.

Assistants live on the backend, so their changes are compared here, field by field, from what
the API returned before and after the change. Sign-ins are recorded by signals.py.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import AssistantRecord, AuditEvent, Connection, RunRecord, field_changes
from .signals import client_ip

# The fields of an assistant a person sets in the builder, in the order the History page shows.
ASSISTANT_FIELDS = [
    "name", "description", "model", "instructions", "tools", "tool_resources", "metadata",
    "temperature", "top_p", "response_format", "reasoning_effort",
]  # fmt: skip


def assistant_values(assistant: Any) -> dict[str, Any]:
    """The fields the trail records of an assistant (none for no assistant)."""
    return assistant.model_dump(mode="json", include=set(ASSISTANT_FIELDS)) if assistant else {}


def assistant_saved(connection: Connection, user, before: Any, after: Any) -> AuditEvent | None:
    """A created assistant (`before` is None) with its values, or a change with its diff.
    A save that changed nothing records nothing in the trail; the list's "last change by"
    (AssistantRecord) is noted either way."""
    AssistantRecord.note_change(
        connection=connection, assistant_id=after.id, name=after.name or "", user=user
    )
    changes = field_changes(assistant_values(before), assistant_values(after), ASSISTANT_FIELDS)
    if before is None:
        action = AuditEvent.Action.ASSISTANT_CREATED
        changes = {name: pair for name, pair in changes.items() if pair[1] not in (None, "")}
    elif changes:
        action = AuditEvent.Action.ASSISTANT_CHANGED
    else:
        return None
    return AuditEvent.record(
        action,
        actor=user,
        object_type=AuditEvent.ASSISTANT,
        object_id=after.id,
        label=after.name or after.id,
        connection=connection,
        changes=changes,
    )


def assistant_deleted(connection: Connection, user, assistant: Any) -> AuditEvent:
    """Deleted, with its last values kept in the details (the backend forgets them)."""
    AssistantRecord.forget(connection=connection, assistant_id=assistant.id)
    return AuditEvent.record(
        AuditEvent.Action.ASSISTANT_DELETED,
        actor=user,
        object_type=AuditEvent.ASSISTANT,
        object_id=assistant.id,
        label=assistant.name or assistant.id,
        connection=connection,
        details={"last_values": assistant_values(assistant)},
    )


def _run_event(action: str, record: RunRecord, user, **details: Any) -> AuditEvent:
    thread = record.thread
    return AuditEvent.record(
        action,
        actor=user,
        object_type=AuditEvent.RUN,
        object_id=record.run_id,
        label=thread.display_title,
        connection=thread.connection,
        details={"thread": thread.pk, "thread_id": thread.thread_id, **details},
    )


def run_started(record: RunRecord, user) -> AuditEvent:
    return _run_event(
        AuditEvent.Action.RUN_STARTED,
        record,
        user,
        assistant_id=record.assistant_id,
        options=record.options,
    )


def tool_outputs_submitted(
    record: RunRecord,
    user,
    tool_calls: list[dict],
    outputs: list[dict[str, str]],
    made: list[dict] | None = None,
) -> AuditEvent:
    """One entry per submission: every call's function, arguments and the output typed, and
    how each was made when known (waiting.hows: typed, saved reply, endpoint, automatic)."""
    submitted = [
        {
            "tool_call_id": call["id"],
            "function": call["function"]["name"],
            "arguments": call["function"]["arguments"],
            "output": output["output"],
            **(how or {}),
        }
        for call, output, how in zip(
            tool_calls, outputs, made or [None] * len(tool_calls), strict=True
        )
    ]
    return _run_event(AuditEvent.Action.TOOL_OUTPUTS_SUBMITTED, record, user, outputs=submitted)


def thread_sharing_changed(thread, user, before: str) -> AuditEvent:
    return AuditEvent.record(
        AuditEvent.Action.THREAD_SHARING_CHANGED,
        actor=user,
        object_type=AuditEvent.THREAD,
        object_id=thread.pk,
        label=thread.display_title,
        connection=thread.connection,
        changes={"sharing": [before, thread.sharing]},
    )


def team_change(
    request: HttpRequest, action: str, object_type: str, object_id: Any, label: str, **extra: Any
) -> AuditEvent:
    """A change an administrator made on the team pages (a person, a connection, an engine
    key): by whom, from which address, on what."""
    return AuditEvent.record(
        action,
        actor=request.user,
        object_type=object_type,
        object_id=object_id,
        label=label,
        ip_address=client_ip(request),
        **extra,
    )
