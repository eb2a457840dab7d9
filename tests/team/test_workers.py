"""Two worker processes on one database (PostgreSQL in CI, SQLite here) never execute the same
run: every run is claimed once, answered once, and both workers share the work."""

from django_tasks_db.models import DBTaskResult

from engine.models import Listener, Message, Run, RunStep
from tests.engine.test_worker import WorkerProcess
from tests.fakes.chat_server import Reply
from tests.support import wait_until

RUNS = 16


def test_two_worker_processes_never_run_the_same_run(openai_client, chat_model, chat_server):
    # Each answer streams for about a quarter of a second, so both workers must take runs.
    chat_server.default = lambda body: Reply(text="a slow answer " * 3, chunk_size=6, delay=0.04)
    workers = [WorkerProcess(chat_server), WorkerProcess(chat_server)]
    pids = {worker.process.pid for worker in workers}
    try:
        # Both are up (listening for wake-ups) before the first run is queued.
        wait_until(
            lambda: (
                set(Listener.objects.filter(kind="worker").values_list("pid", flat=True)) >= pids
            ),
            message=lambda: "both workers to start\n" + "\n".join(w.output() for w in workers),
        )
        assistant = openai_client.beta.assistants.create(model=chat_model)
        runs = [
            openai_client.beta.threads.create_and_run(
                assistant_id=assistant.id,
                thread={"messages": [{"role": "user", "content": f"Question {n}"}]},
            )
            for n in range(RUNS)
        ]
        wait_until(
            lambda: Run.objects.filter(status__in=Run.TERMINAL).count() == RUNS,
            timeout=60,
            message=lambda: "every run to finish\n" + "\n".join(w.output() for w in workers),
        )
    finally:
        for worker in workers:
            worker.kill()
    assert set(Run.objects.values_list("status", flat=True)) == {Run.COMPLETED}
    for run in runs:
        stored = Run.objects.get(pk=run.id)
        assert stored.claims == 1 and stored.retries == 0, run.id
        assert RunStep.objects.filter(run_id=run.id).count() == 1
        assert Message.objects.filter(run_id=run.id, role="assistant").count() == 1
    assert len(chat_server.chat_requests) == RUNS  # the model was asked once per run
    tasks = list(DBTaskResult.objects.all())
    assert len(tasks) == RUNS and all(len(task.worker_ids) == 1 for task in tasks)
    assert len({task.worker_ids[0] for task in tasks}) == 2  # both workers took runs
