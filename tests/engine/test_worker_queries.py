"""What one run costs the worker's database: a bound on its queries and write transactions, so
that a change adding some back fails here (on PostgreSQL each query is a round trip; on SQLite
each write transaction waits for the write lock)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from engine import executor
from engine.models import Assistant, Message, Run, RunStep, Thread
from engine.worker import EngineWorker
from tests.support import WEATHER_TOOL

CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture
def queued_run(transactional_db) -> Run:
    thread = Thread.objects.create()
    thread.add_message(role="user", content=Message.text_content("Hello there"))
    assistant = Assistant.objects.create(model="demo", instructions="Be kind.")
    with transaction.atomic():
        return thread.start_run(assistant)


def test_a_demo_run_takes_two_write_transactions_and_a_dozen_queries(queued_run):
    seen = segment(EngineWorker(threads=1, poll=60))
    run = Run.objects.get(pk=queued_run.pk)
    assert run.status == Run.COMPLETED
    assert run.served_by == {"model": "demo", "provider": "demo"}
    assert Message.objects.get(run_id=run.pk, role="assistant").status == Message.COMPLETED
    assert RunStep.objects.get(run_id=run.pk).status == RunStep.COMPLETED
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    # Read the next task and its run; claim both in one transaction; read the thread;
    # settle the run with its message, step and task row in another; two wake-ups (on
    # PostgreSQL each a NOTIFY; on SQLite a datagram, its addresses read once a second).
    assert len(seen.queries) <= 13, "\n".join(seen.queries)
    assert seen.write_transactions == 2


def test_two_workers_that_saw_the_same_task_claim_it_once(queued_run):
    """Each reads the next task before taking the write lock; the claim itself is conditional."""
    first, second = EngineWorker(threads=1, poll=60), EngineWorker(threads=1, poll=60)
    seen_by_first = DBTaskResult.objects.get()
    seen_by_second = DBTaskResult.objects.get()
    with transaction.atomic():
        assert first._take(seen_by_first)
    with transaction.atomic():
        assert not second._take(seen_by_second)
    task = DBTaskResult.objects.get()
    assert task.status == "RUNNING" and task.worker_ids == [first.worker_id]
    assert not second._claim_one()  # nothing left for it


def test_a_run_cancelled_after_the_worker_read_it_is_not_claimed(queued_run):
    from engine import executor

    read = executor.read_for_claim(queued_run.pk)
    assert read is not None and read.run.status == Run.QUEUED
    Run.objects.filter(pk=queued_run.pk).update(status=Run.CANCELLED)  # meanwhile
    with transaction.atomic():
        assert executor.claim(queued_run.pk, "worker-a", read) is None
    assert Run.objects.get(pk=queued_run.pk).status == Run.CANCELLED


def test_a_run_claimed_and_queued_again_since_the_read_is_claimed_from_a_fresh_read(queued_run):
    from engine import executor

    stale = executor.read_for_claim(queued_run.pk)
    Run.objects.filter(pk=queued_run.pk).update(claims=1)  # taken and given back meanwhile
    with transaction.atomic():
        won = executor.claim(queued_run.pk, "worker-b", stale)
    assert won is not None and won.run.claims == 2
    run = Run.objects.get(pk=queued_run.pk)
    assert run.status == Run.IN_PROGRESS and run.claims == 2 and run.worker_id == "worker-b"


# --- A run that stops for tool outputs, and one cancelled while it waits --------------------


@dataclass
class Measured:
    """What a block cost the database: its statements (transaction control aside) and its
    write transactions (a write outside any transaction is one of its own)."""

    queries: list[str] = field(default_factory=list)
    write_transactions: int = 0

    def run_updates(self) -> list[str | None]:
        """Each UPDATE of a run, as the status it set (None: an update that set none)."""
        return [
            next(iter(STATUS_SET.findall(sql.rsplit(" WHERE ", 1)[0])), None)
            for sql in self.queries
            if RUN_UPDATE.match(sql)
        ]


RUN_UPDATE = re.compile(r'^\s*UPDATE\s+"engine_run"\s', re.IGNORECASE)
STATUS_SET = re.compile(r"\"status\"\s*=\s*'(\w+)'")


@contextmanager
def measured() -> Iterator[Measured]:
    seen, autocommitted = Measured(), []

    def observe(execute, sql, params, many, context):
        if WRITE.match(sql) and not connection.in_atomic_block:
            autocommitted.append(sql)
        return execute(sql, params, many, context)

    commits = mock.patch.object(connection, "commit", wraps=connection.commit)
    with (
        CaptureQueriesContext(connection) as captured,
        connection.execute_wrapper(observe),
        commits as commit,
    ):
        yield seen
    seen.queries = [q["sql"] for q in captured.captured_queries if not CONTROL.match(q["sql"])]
    seen.write_transactions = commit.call_count + len(autocommitted)


def segment(worker: EngineWorker) -> Measured:
    """The worker claims the next task and executes it, measured."""
    with measured() as seen:
        assert worker._claim_one()
        worker.execute(*worker.jobs.get_nowait())
    return seen


@pytest.fixture
def weather_run(transactional_db) -> Run:
    """A queued run the demo model answers with a call of get_weather."""
    thread = Thread.objects.create()
    thread.add_message(role="user", content=Message.text_content("What is the weather in Paris?"))
    assistant = Assistant.objects.create(model="demo", tools=[WEATHER_TOOL])
    with transaction.atomic():
        return thread.start_run(assistant)


def test_a_run_answered_in_two_segments_writes_the_run_once_a_transition(weather_run):
    worker = EngineWorker(threads=1, poll=60)
    first = segment(worker)
    run = Run.objects.get(pk=weather_run.pk)
    assert run.status == Run.REQUIRES_ACTION
    assert first.run_updates() == [Run.IN_PROGRESS, Run.REQUIRES_ACTION], first.queries
    assert first.write_transactions == 2

    calls = run.required_action["submit_tool_outputs"]["tool_calls"]
    with measured() as submitted:
        assert run.submit_tool_outputs({call["id"]: "Sunny, 21 °C" for call in calls})
    assert submitted.run_updates() == [Run.QUEUED], submitted.queries

    second = segment(worker)
    assert Run.objects.get(pk=run.pk).status == Run.COMPLETED
    assert second.run_updates() == [Run.IN_PROGRESS, Run.COMPLETED], second.queries
    assert second.write_transactions <= 2


def test_a_run_cancelled_while_waiting_writes_the_run_once_a_transition(weather_run):
    worker = EngineWorker(threads=1, poll=60)
    segment(worker)
    run = Run.objects.get(pk=weather_run.pk)
    assert run.status == Run.REQUIRES_ACTION

    with measured() as cancelling:
        assert run.request_cancel()
    assert cancelling.run_updates() == [Run.CANCELLING], cancelling.queries
    # With the task that will close it: a crash in between leaves no cancelling run orphaned.
    assert cancelling.write_transactions == 1

    closing = mock.patch.object(executor, "close_run", wraps=executor.close_run)
    with closing as close_run:
        closed = segment(worker)  # nobody executes a waiting run: its task closes it
    close_run.assert_called_once()
    assert Run.objects.get(pk=run.pk).status == Run.CANCELLED
    assert closed.run_updates() == [Run.CANCELLED], closed.queries
