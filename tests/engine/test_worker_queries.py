"""What one run costs the worker's database: a bound on its queries and write transactions, so
that a change adding some back fails here (on PostgreSQL each query is a round trip; on SQLite
each write transaction waits for the write lock)."""

import re
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from engine.models import Assistant, Message, Run, RunStep, Thread
from engine.worker import EngineWorker

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
    worker = EngineWorker(threads=1, poll=60)
    autocommitted: list[str] = []  # writes outside any transaction: one transaction each

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
        assert worker._claim_one()
        worker.execute(*worker.jobs.get_nowait())
    run = Run.objects.get(pk=queued_run.pk)
    assert run.status == Run.COMPLETED
    assert run.served_by == {"model": "demo", "provider": "demo"}
    assert Message.objects.get(run_id=run.pk, role="assistant").status == Message.COMPLETED
    assert RunStep.objects.get(run_id=run.pk).status == RunStep.COMPLETED
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"

    queries = [q["sql"] for q in captured.captured_queries if not CONTROL.match(q["sql"])]
    # Claim the task and the run (with who answers) in one transaction; read the thread;
    # settle the run with its message, step and task row in another; two wake-ups (on
    # PostgreSQL each a NOTIFY; on SQLite a datagram, its addresses read once a second).
    assert len(queries) <= 13, "\n".join(queries)
    assert commit.call_count + len(autocommitted) == 2, autocommitted


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
