"""What a killed worker leaves behind is cleaned up when its runs are recovered: its task rows
do not stay RUNNING, and the answer it was writing is not kept beside the retry's answer."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from engine.models import Message, Run, RunStep
from engine.worker import start_in_thread
from tests.engine.test_worker import (  # noqa: F401 - spawn_worker is a fixture
    SLOW,
    killed_twice,
    spawn_worker,
    streaming_in_a_worker,
)
from tests.fakes.chat_server import Reply
from tests.support import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def finish_with_a_worker_in_this_process(run_id: str) -> Run:
    worker, thread = start_in_thread(threads=1, poll=0.05)
    try:
        return wait_until(
            lambda: Run.objects.filter(pk=run_id, status__in=Run.TERMINAL).first(),
            message="the recovered run to finish",
        )
    finally:
        worker.stop()
        thread.join(10)


def test_a_recovered_run_gives_exactly_one_answer_and_no_task_stays_running(
    openai_client,
    chat_model,
    chat_server,
    spawn_worker,  # noqa: F811
):
    chat_server.script(SLOW, Reply(text="Recovered answer."))
    run, doomed = streaming_in_a_worker(openai_client, chat_model, spawn_worker)
    [doomed_task] = DBTaskResult.objects.running()
    doomed.kill()

    finished = finish_with_a_worker_in_this_process(run.id)

    assert finished.status == Run.COMPLETED and finished.retries == 1
    messages = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data
    answers = [m for m in messages if m.role == "assistant"]
    assert [(a.status, a.content[0].text.value) for a in answers] == [
        ("completed", "Recovered answer.")
    ]
    steps = openai_client.beta.threads.runs.steps.list(run.id, thread_id=run.thread_id).data
    assert [(s.type, s.status) for s in steps] == [("message_creation", "completed")]
    assert steps[0].step_details.message_creation.message_id == answers[0].id

    doomed_task.refresh_from_db()
    assert doomed_task.status == "FAILED" and doomed_task.finished_at is not None
    assert doomed_task.exception_class_path == "engine.tasks.WorkerLost"
    assert "stopped" in doomed_task.traceback
    assert not DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


def test_a_run_abandoned_after_two_dead_workers_leaves_no_task_running(
    openai_client,
    chat_model,
    chat_server,
    spawn_worker,  # noqa: F811
):
    run = killed_twice(openai_client, chat_model, chat_server, spawn_worker)

    finished = finish_with_a_worker_in_this_process(run.id)

    assert finished.status == Run.FAILED
    # The answer the second worker was writing is the failed run's only (incomplete) answer.
    assert list(Message.objects.filter(run_id=run.id).values_list("status", flat=True)) == [
        "incomplete"
    ]
    assert RunStep.objects.filter(run_id=run.id).count() == 1
    tasks = DBTaskResult.objects.order_by("enqueued_at")
    assert [t.status for t in tasks] == ["FAILED", "FAILED"]
    assert {t.exception_class_path for t in tasks} == {"engine.tasks.WorkerLost"}


def test_only_the_rows_a_worker_held_before_its_lease_ran_out_are_failed(transactional_db):
    from engine.tasks import abandon_tasks, execute_run

    now = timezone.now()
    rows = {}
    for name, worker, started in [
        ("dead", "w-dead", now - timedelta(seconds=30)),
        ("resumed", "w-dead", now),  # claimed after the lease ran out: that worker lives
        ("other", "w-alive", now - timedelta(seconds=30)),
    ]:
        row = DBTaskResult.objects.get(pk=execute_run.enqueue(f"run_{name}").id)
        row.claim(worker)
        DBTaskResult.objects.filter(pk=row.pk).update(started_at=started)
        rows[name] = row.pk

    assert abandon_tasks("w-dead", started_before=now - timedelta(seconds=10)) == 1
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses == {
        rows["dead"]: "FAILED",
        rows["resumed"]: "RUNNING",
        rows["other"]: "RUNNING",
    }


def test_a_task_whose_worker_died_before_taking_its_run_does_not_stay_running(openai_client):
    # A worker killed between claiming a task and leasing its run leaves no lease to run out,
    # so nothing else names it: recovery settles the row once its run is held by nobody.
    from engine import executor

    assistant = openai_client.beta.assistants.create(model="demo")
    now = timezone.now()
    rows = {}
    for name, worker, started in [
        ("orphan", "w-gone", now - timedelta(seconds=120)),
        ("held", "w-alive", now - timedelta(seconds=120)),
        ("just claimed", "w-new", now),
    ]:
        thread = openai_client.beta.threads.create()
        run = openai_client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
        row = DBTaskResult.objects.get(args_kwargs__args=[run.id])
        row.claim(worker)
        DBTaskResult.objects.filter(pk=row.pk).update(started_at=started)
        rows[name] = (row.pk, run.id)
    held_run = rows["held"][1]
    Run.objects.filter(pk=held_run).update(
        status=Run.IN_PROGRESS, worker_id="w-alive", lease_expires_at=now + timedelta(seconds=60)
    )

    executor.recover()

    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[rows["orphan"][0]] == "FAILED"
    assert statuses[rows["held"][0]] == "RUNNING"
    assert statuses[rows["just claimed"][0]] == "RUNNING"
    assert Run.objects.get(pk=rows["orphan"][1]).status == Run.QUEUED  # retried, not lost
