"""The dashboard's records: who may see a thread, titles, run status bookkeeping."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser

from assistants_app.models import AssistantRecord, Connection, RunRecord, ThreadRecord
from assistants_app.titles import short_title

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(owner):
    return ThreadRecord.objects.create(
        connection=Connection.objects.default(), thread_id="thread_1", owner=owner, assistant_id="a"
    )


def test_private_thread_is_visible_to_its_owner_only(thread, owner, teammate):
    assert list(ThreadRecord.objects.visible_to(owner)) == [thread]
    assert not ThreadRecord.objects.visible_to(teammate).exists()
    assert not ThreadRecord.objects.visible_to(AnonymousUser()).exists()
    assert not ThreadRecord.objects.chattable_by(teammate).exists()


def test_sharing_levels_leave_room_for_the_team(thread, teammate):
    thread.sharing = ThreadRecord.Sharing.TEAM_READ
    thread.save()
    assert ThreadRecord.objects.visible_to(teammate).exists()
    assert not ThreadRecord.objects.chattable_by(teammate).exists()
    assert not thread.can_chat(teammate)
    thread.sharing = ThreadRecord.Sharing.TEAM_CHAT
    thread.save()
    assert ThreadRecord.objects.chattable_by(teammate).exists() and thread.can_chat(teammate)
    assert not ThreadRecord.objects.owned_by(teammate).exists()


def test_share_says_whether_it_changed_and_shared_with_lists_others_threads(
    thread, owner, teammate, outsider
):
    assert not ThreadRecord.objects.shared_with(teammate).exists()
    assert thread.share(ThreadRecord.Sharing.TEAM_READ) is True
    assert thread.share(ThreadRecord.Sharing.TEAM_READ) is False  # nothing to write
    thread.refresh_from_db()
    assert thread.sharing == ThreadRecord.Sharing.TEAM_READ
    for person in (teammate, outsider):
        assert list(ThreadRecord.objects.shared_with(person)) == [thread]
    assert not ThreadRecord.objects.shared_with(owner).exists()  # one's own are "My threads"
    thread.share(ThreadRecord.Sharing.PRIVATE)
    assert not ThreadRecord.objects.shared_with(teammate).exists()


def test_first_message_titles_until_renamed(thread):
    assert thread.display_title == "New chat"
    thread.note_user_message("  Plan   a\ntrip " + "x" * 200)
    assert thread.title == "Plan a trip…"  # one line, cut between words
    thread.rename("Holidays")
    thread.note_user_message("something else")
    assert thread.title == "Holidays"


def test_run_status_written_only_when_it_changes(thread, owner, django_assert_num_queries):
    run = RunRecord.objects.create(
        thread=thread, run_id="run_1", assistant_id="a", started_by=owner
    )
    assert run.is_active
    with django_assert_num_queries(0):
        run.note_status("queued")
    with django_assert_num_queries(1):
        run.note_status("failed", "Rate limit reached")
    assert not run.is_active


def test_assistant_record_attributes_changes(owner, teammate):
    connection = Connection.objects.default()
    AssistantRecord.note_change(connection=connection, assistant_id="asst_1", name="A", user=owner)
    AssistantRecord.note_change(
        connection=connection, assistant_id="asst_1", name="B", user=teammate
    )
    record = AssistantRecord.objects.for_ids(connection, ["asst_1", "asst_2"])["asst_1"]
    assert (record.name, record.created_by, record.changed_by) == ("B", owner, teammate)
    AssistantRecord.forget(connection=connection, assistant_id="asst_1")
    assert not AssistantRecord.objects.exists()


def test_tool_outputs_are_recorded_once_in_one_query(
    thread, owner, teammate, django_assert_num_queries
):
    run = RunRecord.objects.create(thread=thread, run_id="run_1", assistant_id="a")
    calls = [
        {"id": f"call_{n}", "function": {"name": "lookup", "arguments": f'{{"n": {n}}}'}}
        for n in (1, 2)
    ]
    with django_assert_num_queries(1):
        run.record_outputs(calls, [{"output": "one"}, {"output": "two"}], owner)
    run.record_outputs(calls[:1], [{"output": "again"}], teammate)  # a repeated post
    rows = run.tool_outputs.values_list("tool_call_id", "output", "submitted_by", "arguments")
    assert list(rows) == [
        ("call_1", "one", owner.pk, '{"n": 1}'),
        ("call_2", "two", owner.pk, '{"n": 2}'),
    ]


def test_a_huge_message_cannot_stall_its_title():
    # Unbounded, the Markdown patterns take minutes of CPU on this message (quadratic in its
    # length); the title reads only its start, so it takes milliseconds.
    started = time.process_time()
    title = short_title("Plan the *offsite* " + "_a " * 100_000)
    assert title.startswith("Plan the offsite") and title.endswith("…")
    assert time.process_time() - started < 2.0
