"""Background tasks (django-tasks API, run by the engine worker). Runs are enqueued on commit,
never executed inside an HTTP request; a datagram then wakes a sleeping worker at once."""

from __future__ import annotations

from django.db import transaction
from django_tasks import TaskContext, task

from . import wakeup


@task(takes_context=True)
def execute_run(context: TaskContext, run_id: str) -> None:
    from .executor import execute

    worker_ids = context.task_result.worker_ids
    execute(run_id, worker_id=worker_ids[-1] if worker_ids else "")


def _enqueue(run_id: str) -> None:
    execute_run.enqueue(run_id)
    wakeup.task_queued()


def enqueue_run(run_id: str) -> None:
    """Queue `run_id` for a worker once the current transaction commits."""
    transaction.on_commit(lambda: _enqueue(run_id))
