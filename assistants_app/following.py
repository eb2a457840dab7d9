"""Following runs in the background, so a run that stops on a function call is noticed (and
its automatic endpoints asked) even when no page of the dashboard is open.

Whenever the dashboard sees one of its runs queued or in progress (it started the run, outputs
were submitted, a chat polled it), it makes sure one `follow_runs` task is pending. That task,
executed by the worker like the engine's own tasks, asks the backend about every run still
moving (waiting.sweep: the status is recorded, a run that waits gets its WaitingRun row and its
endpoints asked) and, while some still move, queues itself again a moment later. One task
follows every run, so the load does not grow with the number of pages open, and it holds a
worker thread only for the few milliseconds of each pass (never while waiting).
"""

from __future__ import annotations

import contextvars
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

EVERY = timedelta(milliseconds=300)  # between passes while runs move
LIMIT = 200  # runs asked about per pass, the least recently changed first
PRIORITY = -10  # after the engine's own run tasks, which must never wait behind this one

_in_pass: contextvars.ContextVar[bool] = contextvars.ContextVar("following", default=False)


def follow_soon() -> None:
    """Make sure a follow_runs task is pending, once the caller's transaction commits (so the
    task sees the run record that prompted it)."""
    if _in_pass.get():
        return  # the pass itself decides whether another one follows
    transaction.on_commit(_queue_unless_pending)


def pending() -> bool:
    return DBTaskResult.objects.filter(status="READY", task_path=follow_runs.module_path).exists()


def _queue_unless_pending(delay: timedelta | None = None) -> None:
    # A pass that is running may already have looked at the runs and be about to stop: only a
    # pending (not running) task is sure to see the new run.
    if pending():
        return
    run_after = timezone.now() + delay if delay else None
    follow_runs.using(run_after=run_after).enqueue()
    if delay is None:
        try:  # wake the worker at once rather than at its next poll
            from engine import wakeup

            wakeup.task_queued()
        except ImportError:
            pass


@task(priority=PRIORITY, takes_context=True)
def follow_runs(context: TaskContext) -> int:
    """One pass over the runs still moving; queues the next pass while some still move.
    Returns how many runs were asked about (-1: skipped, another pass is pending).

    Two processes may queue a pass at the same moment; the first of two pending passes to
    run leaves the work to the other, so the passes soon form one chain again."""
    from . import waiting

    others = DBTaskResult.objects.filter(status="READY", task_path=follow_runs.module_path)
    if others.exclude(pk=context.task_result.id).exists():
        return -1
    token = _in_pass.set(True)
    try:
        asked = waiting.sweep(force=True, limit=LIMIT)
    finally:
        _in_pass.reset(token)
    if waiting.moving().exists():
        _queue_unless_pending(EVERY)
    return asked
