"""Following runs in the background (following.py): with no page open at all (nothing polls a
chat, the count or the waiting page), a run that stops on a function call is recorded as
waiting, an automatic endpoint answers it, and the run's end is recorded."""

import pytest

from assistants_app import following
from assistants_app.models import RunRecord, ToolOutputSubmission, WaitingRun
from tests.support import answered_by, wait_until

from .support import start_unwatched

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_run_that_stops_with_no_page_open_is_recorded_as_waiting(owner, make_thread):
    record = start_unwatched(owner, make_thread(owner), "get_weather city=Paris")
    row = wait_until(
        lambda: WaitingRun.objects.filter(run=record).first(),
        message="the run to be recorded as waiting, with no page open",
    )
    assert row.calls[0]["function"]["name"] == "get_weather"
    record.refresh_from_db()
    assert record.status == "requires_action"
    # Nothing moves any more: the follower stopped queueing itself.
    wait_until(lambda: not following.pending(), message="the follower to stop")


def test_an_automatic_endpoint_answers_with_no_page_open_and_the_end_is_recorded(
    remote, owner, make_thread, weather_assistant
):
    answered_by(weather_assistant, "automatic", remote)
    record = start_unwatched(owner, make_thread(owner), "get_weather city=Oslo")
    submission = wait_until(
        lambda: ToolOutputSubmission.objects.filter(run=record).first(),
        message="the endpoint's answer to be submitted, with no page open",
    )
    assert submission.how == "automatic" and '"Oslo"' in submission.output
    wait_until(
        lambda: RunRecord.objects.get(pk=record.pk).status == "completed",
        message="the run's end to be recorded, with no page open",
    )
    assert not WaitingRun.objects.filter(run=record).exists()


def test_the_passes_follow_several_runs_as_one_chain_and_stop_when_nothing_moves(
    owner, make_thread
):
    records = [
        start_unwatched(owner, make_thread(owner), f"get_weather city=Town{n}") for n in (1, 2, 3)
    ]
    for record in records:
        wait_until(lambda record=record: WaitingRun.objects.filter(run=record).exists())
    from django_tasks_db.models import DBTaskResult

    passes = DBTaskResult.objects.filter(task_path=following.follow_runs.module_path)
    wait_until(
        lambda: not passes.filter(status__in=["READY", "RUNNING"]).exists(),
        message="the passes to stop once every run waits",
    )
    assert not passes.filter(status="FAILED").exists()


def test_a_pass_leaves_the_work_to_another_pending_pass(owner, make_thread):
    """Two passes queued at once by two processes: the first to run does nothing."""
    from django_tasks_db.models import DBTaskResult

    WaitingRun.objects.all().delete()
    started = following.follow_runs.using(run_after=_later()).enqueue()
    other = following.follow_runs.using(run_after=_later()).enqueue()
    DBTaskResult.objects.filter(pk=started.id).update(run_after=_now())
    wait_until(lambda: DBTaskResult.objects.get(pk=started.id).status == "SUCCESSFUL")
    assert DBTaskResult.objects.get(pk=started.id).return_value == -1
    assert DBTaskResult.objects.get(pk=other.id).status == "READY"


def _now():
    from django.utils import timezone

    return timezone.now()


def _later():
    from datetime import timedelta

    return _now() + timedelta(hours=1)
