"""Background tasks (django-tasks API, run by the engine worker). A run's task is written with
the run, never executed inside an HTTP request; on commit a wake-up starts a sleeping worker."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from . import wakeup


class WorkerLost(Exception):
    """Recorded on the task rows of a worker that stopped (killed) while executing them."""


@task(takes_context=True)
def execute_run(context: TaskContext, run_id: str) -> None:
    from .executor import execute

    worker_ids = context.task_result.worker_ids
    execute(run_id, worker_id=worker_ids[-1] if worker_ids else "")


def enqueue_run(run_id: str) -> None:
    """Queue `run_id` for a worker: its task row is written in the current transaction, so it
    exists exactly when the run does (no second write), and the workers wake on commit."""
    execute_run.enqueue(run_id)
    transaction.on_commit(wakeup.task_queued)


def run_id_of(args_kwargs: dict) -> str:
    """The run an execute_run task row is for (its args_kwargs)."""
    return (args_kwargs.get("args") or [""])[0]


def abandon_orphaned_runs(*, started_before: datetime) -> int:
    """Settle run tasks whose worker died before it took the run's lease (so no lease ran out
    to name it): a row RUNNING since before `started_before` whose run that worker does not
    hold. The run itself is queued again by recovery; only the row would stay RUNNING."""
    from .models import Run

    running = DBTaskResult.objects.running().filter(
        task_path=execute_run.module_path, started_at__lt=started_before
    )
    rows = list(running.values_list("pk", "worker_ids", "args_kwargs"))
    run_ids = {run_id_of(args_kwargs) for _, _, args_kwargs in rows}
    held = set(
        Run.objects.filter(
            pk__in=run_ids, status__in=(Run.IN_PROGRESS, Run.CANCELLING)
        ).values_list("pk", "worker_id")
    )
    orphans = [
        pk
        for pk, worker_ids, args_kwargs in rows
        if (run_id_of(args_kwargs), worker_ids[-1] if worker_ids else "") not in held
    ]
    return _abandon(running.filter(pk__in=orphans), "the worker executing this task stopped")


def abandon_tasks(worker_id: str, *, started_before: datetime) -> int:
    """Settle the task rows a dead worker was executing: FAILED, not RUNNING forever. Only rows
    it claimed before `started_before` (when its lease ran out): a worker that was merely
    stalled and claims work again afterwards keeps its new rows."""
    running = DBTaskResult.objects.running().filter(started_at__lt=started_before)
    held = [
        pk
        for pk, worker_ids in running.values_list("pk", "worker_ids")
        if worker_ids and worker_ids[-1] == worker_id
    ]
    return _abandon(
        running.filter(pk__in=held), f"worker {worker_id} stopped while executing this task"
    )


def _abandon(rows, why: str) -> int:
    return rows.update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        return_value=None,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=f"WorkerLost: {why}; the engine recovered its work.",
    )
