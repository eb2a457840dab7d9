"""The engine worker: woken at once instead of polling, never two workers on one run, and a
run whose worker was killed mid-run is recovered (retried once, then failed), never stuck."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from engine import wakeup
from engine.models import Message, Run, RunStep
from engine.worker import EngineWorker, start_in_thread
from tests.fakes.chat_server import Reply
from tests.support import database_url, wait_until

SLOW = Reply(text="slowly " * 60, chunk_size=7, delay=0.1)  # about six seconds of streaming


class WorkerProcess:
    """`manage.py engine_worker` in its own process, on the test database, killable."""

    def __init__(self, chat_server, poll: float = 0.1) -> None:
        # Kept after the test for post-mortems; closed when the process ends.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="engine-worker-", suffix=".log", delete=False
        )
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "ENGINE_RUN_LEASE_SECONDS": "1",
            "ENGINE_CHAT_BASE_URL": chat_server.base_url,
            "ENGINE_CHAT_API_KEY": "sk-test-not-a-real-key",
            "ENGINE_CHAT_MODELS": "fake-model",
            "ENGINE_CHAT_MAX_RETRIES": "0",
        }
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "engine_worker", "--threads", "2", "--poll", str(poll)],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def output(self) -> str:
        return Path(self.log.name).read_text()


@pytest.fixture
def spawn_worker(chat_server):
    """Start worker processes; any still alive when the test ends (failed) are killed."""
    started: list[WorkerProcess] = []

    def spawn(poll: float = 0.1) -> WorkerProcess:
        started.append(WorkerProcess(chat_server, poll))
        return started[-1]

    yield spawn
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def streaming_attempt(run_id: str, claims: int):
    """The run, once its `claims`-th execution has streamed some text."""
    run = Run.objects.filter(pk=run_id, status=Run.IN_PROGRESS, claims=claims).first()
    if run and any(m.text for m in Message.objects.filter(run_id=run_id, status="in_progress")):
        return run
    return None


def start_slow_run(openai_client, chat_model):
    assistant = openai_client.beta.assistants.create(model=chat_model, instructions="Be slow.")
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "Go"}])
    return openai_client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)


def until_streaming(run_id: str, attempt: int, worker: WorkerProcess) -> Run:
    """Wait until the run's `attempt`-th execution, in `worker`, has streamed some text."""
    return wait_until(
        lambda: streaming_attempt(run_id, attempt),
        message=lambda: f"attempt {attempt}\n{worker.output()}",
    )


def streaming_in_a_worker(openai_client, chat_model, spawn_worker) -> tuple[Run, WorkerProcess]:
    """A slow run, once a worker process of its own (returned, to be killed) streams it."""
    worker = spawn_worker()
    run = start_slow_run(openai_client, chat_model)
    until_streaming(run.id, 1, worker)
    return run, worker


def killed_twice(openai_client, chat_model, chat_server, spawn_worker):
    """A slow run whose worker is killed while streaming it, and the next one too."""
    chat_server.script(SLOW, SLOW)
    run, first = streaming_in_a_worker(openai_client, chat_model, spawn_worker)
    first.kill()
    second = spawn_worker()  # recovers the run once the lease ran out, retries it
    until_streaming(run.id, 2, second)
    second.kill()
    return run


def test_worker_killed_mid_run_is_recovered_and_retried(
    openai_client, chat_model, chat_server, spawn_worker
):
    chat_server.script(SLOW, Reply(text="Recovered answer."))
    run, doomed = streaming_in_a_worker(openai_client, chat_model, spawn_worker)
    doomed.kill()
    assert Run.objects.get(pk=run.id).status == Run.IN_PROGRESS

    worker, thread = start_in_thread(threads=1, poll=0.05)
    try:
        finished = wait_until(
            lambda: Run.objects.filter(pk=run.id, status__in=Run.TERMINAL).first(),
            message="the recovered run to finish",
        )
    finally:
        worker.stop()
        thread.join(10)
    assert finished.status == Run.COMPLETED and finished.retries == 1 and finished.claims == 2
    api_run = openai_client.beta.threads.runs.retrieve(run.id, thread_id=run.thread_id)
    assert api_run.status == "completed" and api_run.last_error is None
    # The killed attempt's partial answer is gone: the retry's is the run's one answer
    # (tests/engine/test_recovery.py checks the rest of the clean-up).
    messages = Message.objects.filter(run_id=run.id).order_by("created_at")
    assert [(m.status, m.text) for m in messages] == [("completed", "Recovered answer.")]
    steps = RunStep.objects.filter(run_id=run.id).order_by("created_at")
    assert [s.status for s in steps] == ["completed"]
    assert len(chat_server.chat_requests) == 2


def test_run_whose_worker_dies_twice_fails_with_server_error(
    openai_client, chat_model, chat_server, spawn_worker
):
    run = killed_twice(openai_client, chat_model, chat_server, spawn_worker)

    worker, thread = start_in_thread(threads=1, poll=0.05)
    try:
        wait_until(
            lambda: Run.objects.filter(pk=run.id, status__in=Run.TERMINAL).exists(),
            message="the run to be abandoned",
        )
    finally:
        worker.stop()
        thread.join(10)
    failed = openai_client.beta.threads.runs.retrieve(run.id, thread_id=run.thread_id)
    assert failed.status == "failed" and failed.failed_at is not None
    assert failed.last_error.code == "server_error"
    assert set(Message.objects.filter(run_id=run.id).values_list("status", flat=True)) == {
        "incomplete"
    }
    assert set(RunStep.objects.filter(run_id=run.id).values_list("status", flat=True)) == {"failed"}


def test_two_workers_never_execute_the_same_run(openai_client, engine_worker):
    other, other_thread = start_in_thread(threads=4, poll=0.05)
    try:
        assistant = openai_client.beta.assistants.create(model="demo")
        runs = [
            openai_client.beta.threads.create_and_run(
                assistant_id=assistant.id,
                thread={"messages": [{"role": "user", "content": f"Question {n}"}]},
            )
            for n in range(16)
        ]
        wait_until(
            lambda: Run.objects.filter(status=Run.COMPLETED).count() == len(runs),
            message="every run to complete",
        )
    finally:
        other.stop()
        other_thread.join(10)
    for run in Run.objects.all():
        assert run.claims == 1
        assert run.steps.count() == 1 and run.messages.count() == 1
    assert DBTaskResult.objects.count() == len(runs)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


class WakeEvent(threading.Event):
    """The worker's wake-up event, which also tells when the worker first sleeps on it."""

    def __init__(self) -> None:
        super().__init__()
        self.slept = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.slept.set()
        return super().wait(timeout)


def test_a_queued_run_wakes_the_worker(openai_client):
    # The fallback poll is a minute: only the wake-up datagram can start the run in time.
    worker = EngineWorker(threads=1, poll=60)
    worker.wake = WakeEvent()
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        # Queued only once the worker sleeps: its first look for work must not find the run.
        assert worker.wake.slept.wait(10), "the worker never went to sleep"
        assistant = openai_client.beta.assistants.create(model="demo")
        run = openai_client.beta.threads.create_and_run(
            assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Hi"}]}
        )
        wait_until(
            lambda: Run.objects.filter(pk=run.id, status=Run.COMPLETED).exists(),
            timeout=10,
            message="the run to complete",
        )
    finally:
        worker.stop()
        thread.join(10)


ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def queries_to_wake_the_workers() -> int:
    with CaptureQueriesContext(connection) as queries:
        wakeup.task_queued()
    return len(queries)


def ask(openai_client, assistant_id: str, question: str) -> str:
    """A new run's id, queued (and the workers woken) by the live server of this process."""
    thread = {"messages": [{"role": "user", "content": question}]}
    return openai_client.beta.threads.create_and_run(assistant_id=assistant_id, thread=thread).id


@pytest.mark.skipif(ON_POSTGRESQL, reason="NOTIFY wakes the workers: no addresses to look up")
def test_queued_runs_wake_the_workers_without_looking_them_up_each_time(openai_client):
    worker = EngineWorker(threads=1, poll=60)  # only a wake-up can start a run in time
    worker.wake = WakeEvent()
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert worker.wake.slept.wait(10), "the worker never went to sleep"
        wait_until(
            lambda: queries_to_wake_the_workers() == 0,
            message="a wake-up that reads no addresses from the database",
        )
        assistant = openai_client.beta.assistants.create(model="demo")
        run_id = ask(openai_client, assistant.id, "Hi")
        wait_until(
            lambda: Run.objects.filter(pk=run_id, status=Run.COMPLETED).exists(),
            timeout=10,
            message="the run to complete",
        )
    finally:
        worker.stop()
        thread.join(10)


def test_a_worker_started_after_the_lookup_is_woken_at_once(
    openai_client, spawn_worker, monkeypatch
):
    """The addresses a web process keeps never hide a worker that started since."""
    monkeypatch.setattr(wakeup._worker_ports, "ttl", 600.0)  # no look-up is due by age
    if not ON_POSTGRESQL:
        wait_until(
            lambda: queries_to_wake_the_workers() == 0,
            message="the workers looked up and kept (none listens yet)",
        )
    assistant = openai_client.beta.assistants.create(model="demo")
    waiting = ask(openai_client, assistant.id, "Queued before any worker")
    worker = spawn_worker(poll=60)  # its first look for work finds that run; then it sleeps

    def completed(run_id: str) -> Run | None:
        assert worker.process.poll() is None, worker.output()
        return Run.objects.filter(pk=run_id, status=Run.COMPLETED).first()

    wait_until(lambda: completed(waiting), message=lambda: "the first run\n" + worker.output())
    now = ask(openai_client, assistant.id, "Now")
    run = wait_until(
        lambda: completed(now), timeout=30, message=lambda: "the second run\n" + worker.output()
    )
    # Started within a small fraction of the worker's fallback poll: woken by this process.
    assert run.started_at - run.created_at < timedelta(seconds=6), worker.output()
