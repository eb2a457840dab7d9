"""The chat pane (assistants_app/chat.py): the shared run status and the pane's state.

A fake client stands in for the backend here: these tests count and order its calls; the
views over the real engine are tested in test_threads.py and test_runs.py."""

import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from assistants_app.chat import (
    RUN_STATES,
    ChatPane,
    current_run,
    remember_run,
    run_words,
)
from assistants_app.models import Connection, RunRecord, ThreadRecord
from assistants_app.services.types import Run

pytestmark = pytest.mark.django_db


class FakeBackend:
    """Just enough of AssistantsClient for the pane: one run, no messages; calls are noted."""

    def __init__(self, status: str = "in_progress") -> None:
        self.calls: list[str] = []
        self.status = status
        self.threads = SimpleNamespace(
            runs=SimpleNamespace(retrieve=self._retrieve),
            messages=SimpleNamespace(list=self._list),
        )

    def _retrieve(self, run_id: str, *, thread_id: str) -> Run:
        self.calls.append("retrieve")
        return Run(id=run_id, thread_id=thread_id, status=self.status, created_at=1)

    def _list(self, thread_id: str, **params):
        self.calls.append("list")
        return SimpleNamespace(data=[], has_more=False, last_id=None)


@pytest.fixture
def record(owner):
    cache.clear()
    thread = ThreadRecord.objects.create(
        connection=Connection.objects.default(),
        thread_id="thread_chat",
        owner=owner,
        assistant_id="asst_chat",
        assistant_name="Helper",
    )
    yield RunRecord.objects.create(thread=thread, run_id="run_chat", assistant_id="asst_chat")
    cache.clear()


@pytest.fixture
def no_sleeping(monkeypatch):
    def refuse(seconds):
        raise AssertionError(f"a request slept {seconds} s waiting for another one")

    monkeypatch.setattr(time, "sleep", refuse)


def _hold_the_lock(record) -> None:
    """Another viewer is asking the backend about this run right now."""
    assert cache.add(f"dashboard:run:{record.run_id}:lock", 1, 30)


def test_while_another_viewer_asks_the_last_copy_is_served_at_once(record, settings, no_sleeping):
    remember_run(record, Run(id=record.run_id, status="queued"))
    settings.DASHBOARD_RUN_STATUS_TTL = 0.0  # the copy is stale
    _hold_the_lock(record)
    backend = FakeBackend()
    run = current_run(record, backend)
    assert run.status == "queued" and backend.calls == []


def test_with_no_copy_at_all_a_viewer_does_not_wait_for_the_other_call(record, no_sleeping):
    _hold_the_lock(record)
    backend = FakeBackend()
    assert current_run(record, backend) is None
    assert backend.calls == []
    # The pane then shows what the dashboard recorded, and keeps polling.
    state = ChatPane(record.thread.owner, record.thread, backend).run_state(record)
    assert state.words == "Waiting to start" and state.polling and state.tool_form is None


def test_a_stale_copy_is_refreshed_once_and_the_lock_released(record, settings):
    remember_run(record, Run(id=record.run_id, status="queued"))
    settings.DASHBOARD_RUN_STATUS_TTL = 0.0
    backend = FakeBackend("completed")
    assert current_run(record, backend).status == "completed"
    assert backend.calls == ["retrieve"]
    record.refresh_from_db()
    assert record.status == "completed"
    assert cache.get(f"dashboard:run:{record.run_id}:lock") is None


def test_the_pane_asks_about_the_run_before_reading_the_messages(record):
    # A run that finished a moment ago: its answer must be in the page read after it.
    backend = FakeBackend("completed")
    pane = ChatPane(record.thread.owner, record.thread, backend)
    assert pane.rows == [] and pane.run is None and not pane.busy
    assert backend.calls == ["retrieve", "list"]
    assert pane.finished_run == record and pane.finished_words == "Completed"


def test_a_busy_pane_holds_the_composer_and_says_why(record):
    pane = ChatPane(record.thread.owner, record.thread, FakeBackend("in_progress"))
    assert pane.busy and pane.run.status == "in_progress"
    assert pane.busy_reason == RUN_STATES["in_progress"].busy
    html = str(pane.composer["content"])
    assert "disabled" in html and 'aria-describedby="composer-reason"' in html


def test_every_state_that_holds_the_thread_says_why_and_no_other_does():
    for status in RunRecord.ACTIVE_STATUSES:
        assert run_words(status).busy, status
    for status in RunRecord.TERMINAL_STATUSES:
        assert run_words(status).says and not run_words(status).busy, status
    assert run_words("some_new_state").says == "Some new state"
