"""Chat panes of one process ask the backend at the same time: none waits for another's call.
Many people sending at once each render a pane; had they taken turns, each holding its database
connection while waiting, the engine on the same server would have found no connection left."""

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.db import connections

from assistants_app.chat import ChatPane
from assistants_app.models import Connection, ThreadRecord

pytestmark = pytest.mark.django_db(transaction=True)


class MeetingBackend:
    """A backend whose message list answers only once `callers` are inside it at once."""

    def __init__(self, callers: int) -> None:
        self.inside = threading.Barrier(callers, timeout=10)
        self.threads = self.messages = self

    def list(self, *args, **kwargs) -> SimpleNamespace:
        self.inside.wait()  # broken (an error) if the others cannot come in meanwhile
        return SimpleNamespace(data=[], last_id=None, has_more=False)


def test_two_panes_read_their_messages_at_the_same_time(owner):
    backend = MeetingBackend(2)
    threads = [
        ThreadRecord.objects.create(
            connection=Connection.objects.default(),
            thread_id=f"thread_{n}",
            owner=owner,
            assistant_id="asst_1",
        )
        for n in range(2)
    ]

    def rows(thread: ThreadRecord) -> list:
        try:
            return ChatPane(owner, thread, backend).rows
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(rows, threads)) == [[], []]
