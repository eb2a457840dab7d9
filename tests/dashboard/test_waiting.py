"""Waiting for an answer (views/waiting.py, waiting.py): the page, the live count, answering in
place exactly once, claiming, saved replies; from the owner, a teammate with "can chat", a
teammate read-only and an outsider."""

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone

from assistants_app import waiting
from assistants_app.models import (
    Answer,
    AuditEvent,
    RunRecord,
    SavedReply,
    ToolOutputSubmission,
    WaitingRun,
)
from tests.support import logged_in, wait_until

from .support import (
    HTMX,
    poll,
    send,
    start_unwatched,
    stopped,
    wait_listed,
    waiting_count,
    waiting_for_outputs,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_run(owner, make_thread):
    """A thread shared "can chat" whose run waits for get_weather(city=Paris); nobody has
    polled its chat: the dashboard learns it waits from the count's sweep."""
    thread = make_thread(owner, title="Weather in Paris", sharing="team_chat")
    record = start_unwatched(owner, thread, "What is the weather? get_weather city=Paris")
    return thread, record


def outputs_for(row: WaitingRun, text: str) -> dict:
    return {f"output_{call['id']}": text for call in row.calls}


def test_a_run_that_stops_unwatched_is_counted_and_listed_for_whoever_may_chat(
    owner, teammate, outsider, make_thread, shared_run
):
    thread, record = shared_run
    reader = outsider  # neither owner nor named: sees what the team may see
    read_only = make_thread(owner, title="Read-only weather", sharing="team_read")
    send(logged_in(owner), read_only, "get_weather city=Rome")
    row = wait_listed(logged_in(teammate), record)
    wait_until(lambda: waiting_count(logged_in(owner)) == "2")  # both threads are the owner's
    assert waiting_count(logged_in(teammate)) == "1"  # only the "can chat" one
    assert waiting_count(logged_in(reader)) == "1"
    thread.share("private")
    assert waiting_count(logged_in(reader)) == "0" and waiting_count(logged_in(owner)) == "2"
    thread.share("team_chat")

    page = logged_in(teammate).get(reverse("waiting_list")).content.decode()
    assert "Weather in Paris" in page and "Read-only weather" not in page
    assert "started by olivia" in page and "Weather helper" in page
    assert "{\n  &quot;city&quot;: &quot;Paris&quot;\n}" in page  # pretty arguments
    assert "left" in page and f'name="output_{row.calls[0]["id"]}"' in page
    thread.share("private")
    assert "Nothing waits" in logged_in(reader).get(reverse("waiting_list")).content.decode()


def test_the_count_answers_204_while_nothing_changed(owner, shared_run):
    client = logged_in(owner)
    wait_listed(client, shared_run[1])
    html = client.get(reverse("waiting_count"), **HTMX).content.decode()
    signature = html.split("?v=")[1].split('"')[0]
    assert client.get(reverse("waiting_count"), {"v": signature}, **HTMX).status_code == 204
    assert client.get(reverse("waiting_count"), {"v": "old"}, **HTMX).status_code == 200


def test_answered_on_the_waiting_page_the_run_goes_on_and_the_trail_says_typed(
    owner, teammate, shared_run
):
    thread, record = shared_run
    client = logged_in(teammate)
    row = wait_listed(client, record)
    url = reverse("waiting_answer", args=[thread.pk, record.run_id])
    response = client.post(url, outputs_for(row, '{"temperature": 19}'), **HTMX)
    assert response.status_code == 200
    assert "Answered" in response.content.decode() and "tomas" in response.content.decode()
    submission = ToolOutputSubmission.objects.get(run=record)
    assert submission.submitted_by == teammate and submission.how == "typed"
    event = AuditEvent.objects.get(action="tool_outputs_submitted")
    assert event.details["outputs"][0]["how"] == "typed"
    assert not WaitingRun.objects.filter(run=record).exists()
    assert waiting_count(client) == "0"
    done = poll(logged_in(owner), thread, record.run_id, until=stopped).content.decode()
    assert 'get_weather returned: {"temperature": 19}' in done


def test_two_people_answering_one_wins_and_the_other_is_told_who_and_what(
    owner, teammate, shared_run
):
    thread, record = shared_run
    row = wait_listed(logged_in(owner), record)
    url = reverse("waiting_answer", args=[thread.pk, record.run_id])
    first = logged_in(teammate).post(url, outputs_for(row, '"sunny"'), **HTMX)
    assert first.status_code == 200
    # The owner's page still shows the card: their post comes after the teammate's.
    WaitingRun.objects.create(run=record, round_id=row.round_id, calls=row.calls)
    second = logged_in(owner).post(url, outputs_for(row, '"rainy"'), **HTMX)
    html = second.content.decode()
    assert second.status_code == 200
    assert "tomas answered these calls" in html and "&quot;sunny&quot;" in html
    assert ToolOutputSubmission.objects.get(run=record).output == '"sunny"'


def test_take_round_is_exactly_once_across_threads(owner, teammate, admin_user, shared_run):
    _, record = shared_run
    calls = [{"id": "call_x", "function": {"name": "get_weather", "arguments": "{}"}}]
    barrier = threading.Barrier(3)
    won = []

    def answer(user):
        barrier.wait()
        try:
            turn = waiting.take_round(record, calls, [{"output": user.username}], user)
            won.append(turn.won)
        finally:
            db_connection.close()

    workers = [threading.Thread(target=answer, args=(u,)) for u in (owner, teammate, admin_user)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(won) == [False, False, True]
    assert Answer.objects.filter(run=record).count() == 1


def test_a_failed_send_releases_the_round(owner, teammate, shared_run):
    _, record = shared_run
    row = wait_listed(logged_in(owner), record)
    calls = row.calls
    outputs = [{"tool_call_id": calls[0]["id"], "output": "x"}]
    from assistants_app.services import AssistantsClient, AssistantsError

    broken = AssistantsClient(base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0)
    with pytest.raises(AssistantsError):
        waiting.submit(record, broken, calls, outputs, owner)
    assert not Answer.objects.filter(run=record).exists()  # the teammate may answer
    assert waiting.take_round(record, calls, outputs, teammate).won


def test_claiming_is_shown_to_everyone_and_lapses(owner, teammate, shared_run):
    thread, record = shared_run
    row = wait_listed(logged_in(owner), record)
    url = reverse("waiting_claim", args=[thread.pk, record.run_id])
    mine = logged_in(owner).post(url, **HTMX).content.decode()
    assert "You are answering this" in mine
    page = logged_in(teammate).get(reverse("waiting_list")).content.decode()
    assert "olivia is answering this" in page and "ll take this" not in page
    logged_in(teammate).post(url, **HTMX)
    assert WaitingRun.objects.get(pk=row.pk).claimed_by == owner  # not taken over
    # Typing keeps it; a few minutes without activity release it.
    active = reverse("waiting_active", args=[thread.pk, record.run_id])
    assert logged_in(owner).post(active, **HTMX).status_code == 204
    WaitingRun.objects.filter(pk=row.pk).update(
        claim_active_at=timezone.now() - timedelta(minutes=4)
    )
    assert "ll take this" in logged_in(teammate).get(reverse("waiting_list")).content.decode()
    taken = logged_in(teammate).post(url, **HTMX).content.decode()
    assert "You are answering this" in taken
    released = logged_in(teammate).post(url, {"release": "1"}, **HTMX).content.decode()
    assert "ll take this" in released


def test_read_only_teammates_and_outsiders_cannot_answer_claim_or_save(
    owner, outsider, make_thread, shared_run
):
    thread, record = shared_run
    row = wait_listed(logged_in(owner), record)
    call_id = row.calls[0]["id"]
    thread.share("team_read")
    for who in (outsider,):
        client = logged_in(who)
        args = [thread.pk, record.run_id]
        assert (
            client.post(reverse("waiting_answer", args=args), outputs_for(row, "x")).status_code
            == 404
        )
        assert client.post(reverse("waiting_claim", args=args)).status_code == 404
        assert client.post(reverse("waiting_active", args=args)).status_code == 404
        assert (
            client.get(reverse("waiting_call_help", args=[*args, call_id]), **HTMX).status_code
            == 404
        )
        saved = client.post(reverse("reply_save", args=args), {"save_call": call_id})
        assert saved.status_code == 404
    thread.share("private")
    assert (
        logged_in(outsider)
        .post(reverse("waiting_claim", args=[thread.pk, record.run_id]))
        .status_code
        == 404
    )
    assert not Answer.objects.exists() and not SavedReply.objects.exists()


def test_a_saved_reply_is_offered_on_the_next_card_and_recorded_as_such(
    owner, teammate, admin_user, shared_run
):
    thread, record = shared_run
    row = wait_listed(logged_in(owner), record)
    call_id = row.calls[0]["id"]
    saved = logged_in(teammate).post(
        reverse("reply_save", args=[thread.pk, record.run_id]),
        {"save_call": call_id, f"reply_name_{call_id}": "Sunny", f"output_{call_id}": '"sunny"'},
        **HTMX,
    )
    assert "Saved as “Sunny”" in saved.content.decode()
    reply = SavedReply.objects.get()
    assert (reply.function_name, reply.created_by) == ("get_weather", teammate)
    page = logged_in(owner).get(reverse("waiting_list")).content.decode()
    assert 'data-reply-text="&quot;sunny&quot;"' in page and ">Sunny</button>" in page
    chat = logged_in(owner).get(thread.get_absolute_url()).content.decode()
    assert ">Sunny</button>" in chat  # the chat's card offers it too

    url = reverse("waiting_answer", args=[thread.pk, record.run_id])
    logged_in(owner).post(url, outputs_for(row, '"sunny"'), **HTMX)
    assert ToolOutputSubmission.objects.get(run=record).how == "saved_reply"

    # Its author and administrators may change it; another member may not.
    edit = reverse("reply_edit", args=[reply.pk])
    assert logged_in(owner).get(edit).status_code == 403
    assert logged_in(owner).post(reverse("reply_delete", args=[reply.pk])).status_code == 403
    assert logged_in(teammate).post(edit, {"name": "Sun", "text": '"sun"'}).status_code == 302
    assert SavedReply.objects.get().name == "Sun"
    assert logged_in(admin_user).post(reverse("reply_delete", args=[reply.pk])).status_code == 302
    assert not SavedReply.objects.exists()


def test_in_the_chat_the_second_submission_is_told_who_answered(owner, teammate, shared_run):
    thread, record = shared_run
    owner_client, mate_client = logged_in(owner), logged_in(teammate)
    poll(owner_client, thread, record.run_id, until=waiting_for_outputs)
    row = WaitingRun.objects.get(run=record)
    url = reverse("run_submit_outputs", args=[thread.pk, record.run_id])
    assert mate_client.post(url, outputs_for(row, '"from tomas"'), **HTMX).status_code == 200
    # The owner's card was drawn before: their submission arrives second.
    Answer.objects.filter(run=record).update(at=timezone.now())
    from assistants_app.chat import ChatPane  # noqa: F401 - the pane the view builds

    late = owner_client.post(url, outputs_for(row, '"from olivia"'), **HTMX).content.decode()
    assert ToolOutputSubmission.objects.get(run=record).output == '"from tomas"'
    if "answered these calls" in late:  # the run still looked waiting to the owner's pane
        assert "tomas answered these calls" in late and "from tomas" in late
    else:  # or the pane already knew it moved on: no card, no error
        assert "Submit outputs" not in late


def made_up_waiting(owner, count: int, *, first: int = 0) -> list[WaitingRun]:
    """`count` waiting runs (Town `first`, Town `first`+1, …, the last the newest), each in a
    "can chat" thread of its own, recorded directly (no backend)."""
    from assistants_app.models import Connection, ThreadRecord

    rows = []
    for number in range(first, first + count):
        thread = ThreadRecord.objects.create(
            connection=Connection.objects.default(),
            thread_id=f"thread_{number}",
            owner=owner,
            assistant_id="asst_x",
            title=f"Weather in Town {number}",
            sharing="team_chat",
        )
        record = RunRecord.objects.create(
            thread=thread,
            run_id=f"run_{number}",
            assistant_id="asst_x",
            started_by=owner,
            status="requires_action",
        )
        call = {
            "id": f"call_{number}",
            "type": "function",
            "function": {"name": "get_weather", "arguments": f'{{"city": "Town {number}"}}'},
        }
        rows.append(
            WaitingRun.objects.create(
                run=record,
                round_id=call["id"],
                calls=[call],
                expires_at=timezone.now() + timedelta(minutes=10),
            )
        )
    return rows


def test_the_page_shows_twenty_runs_at_a_time_newest_first_in_as_many_queries(
    owner, teammate, monkeypatch
):
    from django.test.utils import CaptureQueriesContext

    from assistants_app.views.waiting import PAGE_SIZE

    monkeypatch.setattr(waiting, "SWEEP_SECONDS", 600)  # one sweep, at the first visit
    client = logged_in(teammate)
    made_up_waiting(owner, 3)
    client.get(reverse("waiting_list"))  # what the first visit caches is not counted
    with CaptureQueriesContext(db_connection) as few:
        client.get(reverse("waiting_list"))
    made_up_waiting(owner, 42, first=3)
    with CaptureQueriesContext(db_connection) as many:
        first = client.get(reverse("waiting_list")).content.decode()
    assert len(many) == len(few)  # flat in the number of runs
    assert PAGE_SIZE == 20 and first.count('class="waiting-item"') == 20
    assert "Town 44" in first and "Town 25<" in first and "Town 24<" not in first
    assert "Page 1 of 3" in first and "?page=2" in first
    last = client.get(reverse("waiting_list"), {"page": 3}).content.decode()
    assert last.count('class="waiting-item"') == 5 and "Town 0<" in last
    assert '<pre class="code">{\n  &quot;city&quot;: &quot;Town 0&quot;\n}</pre>' in last


def test_a_claim_lapses_after_the_claimers_idle_spell_and_not_before(owner, teammate):
    from assistants_app.waiting_models import CLAIM_IDLE

    row = made_up_waiting(owner, 1)[0]
    assert waiting.claim(row, owner) and row.claimer == owner
    assert not waiting.claim(row, teammate)  # fresh: refused, the owner keeps it
    assert WaitingRun.objects.get(pk=row.pk).claimed_by == owner

    almost = timezone.now() - CLAIM_IDLE + timedelta(seconds=20)
    WaitingRun.objects.filter(pk=row.pk).update(claim_active_at=almost)
    row.refresh_from_db()
    assert row.claimer == owner and not waiting.claim(row, teammate)

    waiting.keep_claim(row, teammate)  # only the claimer's activity counts
    row.refresh_from_db()
    assert row.claim_active_at == almost

    lapsed = timezone.now() - CLAIM_IDLE - timedelta(seconds=1)
    WaitingRun.objects.filter(pk=row.pk).update(claim_active_at=lapsed)
    row.refresh_from_db()
    assert row.claimer is None  # shown to nobody any more
    assert waiting.claim(row, teammate) and row.claimer == teammate
    waiting.release(row, owner)  # someone else's release changes nothing
    row.refresh_from_db()
    assert row.claimer == teammate
