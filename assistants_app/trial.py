"""Test chats: the chat beside the builder, run with what the form holds now, saved or not.

A test chat is an ordinary thread of the person trying (private, with its record), marked
`trial` so that it stays out of My threads until they keep it. Each person has one current
test chat per assistant: the latest one not kept.
"""

from __future__ import annotations

from .chat import start_thread
from .models import Connection, ThreadRecord
from .services import AssistantsClient
from .services.types import Assistant


def current(user, assistant_id: str) -> ThreadRecord | None:
    return ThreadRecord.objects.trial_of(user, assistant_id)


def start(user, connection: Connection, client: AssistantsClient, assistant: Assistant):
    """A new, empty test chat with `assistant` (a thread on the backend and its record)."""
    return start_thread(user, connection, client, assistant, trial=True)
