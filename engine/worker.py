"""The engine's worker: django-tasks-db's Worker, made to start a queued run within
milliseconds and to execute several runs at once.

- It sleeps on a wake-up event instead of `time.sleep(interval)`: a datagram sent on commit by
  whoever queued a task sets it (engine.wakeup); the interval stays as a fallback poll.
- Claimed tasks run on a small pool of threads, so one slow model call does not hold up the
  other runs. A task is claimed only when a thread is free, leaving the rest to other workers.
- About once a second it renews the leases of the runs it executes (its heartbeat) and
  recovers the runs of workers that died (engine.executor.recover).
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from datetime import timedelta
from types import FrameType

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.utils import DatabaseError, OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from . import executor, providers, wakeup
from .tasks import execute_run, run_id_of

logger = logging.getLogger(__name__)


class EngineWorker(Worker):
    def __init__(
        self,
        *,
        threads: int | None = None,
        poll: float | None = None,
        worker_id: str | None = None,
        backend_name: str = "default",
        queue_names: list[str] | None = None,
    ) -> None:
        super().__init__(
            queue_names=queue_names or ["default"],
            interval=settings.ENGINE_WORKER_POLL_SECONDS if poll is None else poll,
            batch=False,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        self.threads = threads or settings.ENGINE_WORKER_THREADS
        self.wake = threading.Event()
        self.jobs: queue.Queue[tuple[DBTaskResult, executor.Claim | None] | None] = queue.Queue()
        self.busy = 0
        self.busy_lock = threading.Lock()
        self.pool: list[threading.Thread] = []
        self.stopped = threading.Event()
        self.maintenance_every = min(1.0, settings.ENGINE_RUN_LEASE_SECONDS / 3)
        self.next_prune = 0.0

    # -- lifecycle --------------------------------------------------------------------------------

    def configure_signals(self) -> None:
        for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self.shutdown)

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            logger.warning("Stopping now; unfinished runs are retried once their lease runs out.")
            os._exit(1)
        logger.warning(
            "Received %s: finishing the runs in progress (again to stop at once)…",
            signal.strsignal(signum),
        )
        self.stop()

    def stop(self) -> None:
        self.running = False
        self.wake.set()

    def run(self) -> None:
        logger.info(
            "Engine worker %s: %d threads, fallback poll %.2fs",
            self.worker_id,
            self.threads,
            self.interval,
        )
        listener = wakeup.Listener("worker", lambda payload: self.wake.set())
        listener.start()
        for number in range(self.threads):
            thread = threading.Thread(target=self._serve, name=f"engine-run-{number}", daemon=True)
            thread.start()
            self.pool.append(thread)
        try:
            self._loop()
        finally:
            for _ in self.pool:
                self.jobs.put(None)
            # Runs in progress get 30 s in all to finish; the rest are retried after their lease.
            deadline = time.monotonic() + 30
            for thread in self.pool:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if any(thread.is_alive() for thread in self.pool):
                executor.release_leases(self.worker_id)
            listener.stop()
            connections.close_all()
            self.stopped.set()
            logger.info("Engine worker %s stopped", self.worker_id)

    def _loop(self) -> None:
        last_maintenance = 0.0
        while self.running:
            self.wake.clear()
            try:
                if time.monotonic() - last_maintenance >= self.maintenance_every:
                    last_maintenance = time.monotonic()
                    self.maintain()
                while self.running and self._free() and self._claim_one():
                    pass
            except DatabaseError:
                logger.warning("Database error in the worker loop; retrying", exc_info=True)
                close_old_connections()
                connections.close_all()
            self.wake.wait(self.interval)

    def maintain(self) -> None:
        executor.renew_leases(self.worker_id)
        executor.recover()
        providers.refresh_in_background()  # discovered model lists; HTTP, so off this loop
        if time.monotonic() >= self.next_prune:
            self.next_prune = time.monotonic() + 600
            # One task row per run segment: keep a day of them for inspection, not forever.
            old = timezone.now() - timedelta(days=1)
            DBTaskResult.objects.finished().filter(finished_at__lt=old).delete()

    # -- claiming and running -----------------------------------------------------------------

    def _free(self) -> bool:
        with self.busy_lock:
            return self.busy < self.threads

    def _claim_one(self) -> bool:
        tasks = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        # Look before taking the write lock, which the other processes wait for: most wake-ups
        # find nothing left, and the run's reads and routing need no lock either.
        seen = tasks.first()
        if seen is None:
            return False
        read = None
        if seen.task_path == execute_run.module_path:
            read = executor.read_for_claim(run_id_of(seen.args_kwargs))
        run: executor.Claim | None = None
        try:
            with exclusive_transaction(tasks.db):
                claimed = seen if self._take(seen) else tasks.get_locked()
                if claimed is not None:
                    if claimed is not seen:
                        claimed.claim(self.worker_id)
                    if claimed.task_path == execute_run.module_path:
                        # The run's lease in the same transaction: one write, and no moment
                        # when the task is taken but its run held by nobody.
                        run_id = run_id_of(claimed.args_kwargs)
                        mine = read if claimed is seen else None
                        run = executor.claim(run_id, self.worker_id, mine)
        except OperationalError as error:
            if is_locked_database_exception(error):
                return False
            raise
        if claimed is None:
            return False
        with self.busy_lock:
            self.busy += 1
        self.jobs.put((claimed, run))
        return True

    def _take(self, task: DBTaskResult) -> bool:
        """Claim `task`, read before the transaction, if it is still ready: a conditional
        update, so exactly one worker wins it (as `DBTaskResult.claim`, without reading it
        again under the lock)."""
        started, workers = timezone.now(), [*task.worker_ids, self.worker_id]
        fields = {"status": TaskResultStatus.RUNNING, "started_at": started, "worker_ids": workers}
        if not DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.READY).update(
            **fields
        ):
            return False
        for name, value in fields.items():
            setattr(task, name, value)
        return True

    def _serve(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                try:
                    self.execute(*job)
                finally:
                    with self.busy_lock:
                        self.busy -= 1
                    self.wake.set()  # a thread is free: look for more work
        finally:
            connections.close_all()

    def execute(self, task: DBTaskResult, run: executor.Claim | None) -> None:
        """A run claimed with its task executes here, and finishes the task row in its last
        transaction; any other task (or a run no longer queued) as django-tasks runs it."""
        if run is None:
            self.run_task(task)
            return
        backend = type(task.task.get_backend())
        task_started.send(sender=backend, task_result=task.task_result)
        try:
            finished = executor.Execution(run.run, claim=run, task_id=task.pk).go()
            if not finished:
                task.set_successful(None)
            else:
                task.status = TaskResultStatus.SUCCESSFUL
        except BaseException as error:
            task.set_failed(error)
        task_finished.send(sender=backend, task_result=task.task_result)


def start_in_thread(**options: object) -> tuple[EngineWorker, threading.Thread]:
    """A worker running in a background thread of this process (tests, benchmarks)."""
    worker = EngineWorker(**options)  # type: ignore[arg-type]
    thread = threading.Thread(target=worker.run, name="engine-worker", daemon=True)
    thread.start()
    return worker, thread
