"""Threads are private until their creator shares them with the team, read-only or "can chat".
Every thread view, from the owner, a teammate and an outsider; a thread one may not see is a
404, never a 403. (In one deployment everyone with a role is in the team, so the teammate and
the outsider see the same; an account without a role sees nothing.)"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from assistants_app.models import AuditEvent, RunRecord, ThreadRecord, ToolOutputSubmission
from tests.conftest import PASSWORD
from tests.dashboard.support import HTMX, poll, send, stopped, waiting_for_outputs

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = ["owner", "teammate", "outsider"]


@pytest.fixture
def waiting(client, owner, make_thread):
    """Olivia's thread, its run waiting for the output of get_weather(city=Paris)."""
    thread = make_thread(owner, title="Paris trip")
    client.force_login(owner)
    send(client, thread, "get_weather city=Paris")
    record = RunRecord.objects.get(thread=thread)
    poll(client, thread, record.run_id, until=waiting_for_outputs)
    client.logout()
    return thread, record


def read_statuses(client, thread, record) -> dict[str, int]:
    args = [thread.pk, record.run_id]
    return {
        "detail": client.get(thread.get_absolute_url()).status_code,
        "earlier": client.get(reverse("thread_earlier", args=[thread.pk]), **HTMX).status_code,
        "status": client.get(reverse("run_status", args=args), **HTMX).status_code,
        "steps": client.get(reverse("run_steps", args=args)).status_code,
    }


def owner_only_statuses(client, thread) -> dict[str, int]:
    pk = [thread.pk]
    return {
        "rename": client.get(reverse("thread_rename", args=pk)).status_code,
        "rename_post": client.post(reverse("thread_rename", args=pk), {"title": "x"}).status_code,
        "delete": client.get(reverse("thread_delete", args=pk)).status_code,
        "sharing": client.post(
            reverse("thread_sharing", args=pk), {"sharing": "private"}
        ).status_code,
    }


def refused_writes(client, thread, record) -> dict[str, int]:
    """POSTs that change the thread, from someone who may only read: all 404, nothing done."""
    args = [thread.pk, record.run_id]
    statuses = {
        "send": send(client, thread, "Let me in").status_code,
        "outputs": client.post(reverse("run_submit_outputs", args=args)).status_code,
        "cancel": client.post(reverse("run_cancel", args=args)).status_code,
        "retry": client.post(reverse("run_retry", args=[thread.pk])).status_code,
        "delete": client.post(reverse("thread_delete", args=[thread.pk])).status_code,
    }
    record.refresh_from_db()
    assert record.status == "requires_action" and not ToolOutputSubmission.objects.exists()
    assert ThreadRecord.objects.filter(pk=thread.pk).exists()
    return statuses


def test_private_thread_is_404_for_everyone_else(request, client, waiting):
    thread, record = waiting
    for who in PEOPLE:
        client.force_login(request.getfixturevalue(who))
        expected = 200 if who == "owner" else 404
        assert set(read_statuses(client, thread, record).values()) == {expected}, who
        if who != "owner":
            assert set(refused_writes(client, thread, record).values()) == {404}, who
            assert set(owner_only_statuses(client, thread).values()) == {404}, who
            assert "Paris trip" not in client.get(reverse("thread_list")).content.decode()


def test_shared_read_only_everyone_reads_nobody_else_writes(request, client, waiting, owner):
    thread, record = waiting
    client.force_login(owner)
    response = client.post(reverse("thread_sharing", args=[thread.pk]), {"sharing": "team_read"})
    assert response["Location"] == thread.get_absolute_url()
    for who in ["teammate", "outsider"]:
        client.force_login(request.getfixturevalue(who))
        assert set(read_statuses(client, thread, record).values()) == {200}, who
        page = client.get(thread.get_absolute_url()).content.decode()
        assert "Shared with the team by olivia, read-only." in page
        assert 'id="composer"' not in page and "Submit outputs" not in page
        assert "sharing-form" not in page and "Rename" not in page
        assert set(refused_writes(client, thread, record).values()) == {404}, who
        assert set(owner_only_statuses(client, thread).values()) == {404}, who
        listed = client.get(reverse("thread_list")).content.decode()
        assert "Shared with the team" in listed and "Paris trip" in listed
    thread.refresh_from_db()
    assert thread.sharing == "team_read" and thread.title == "Paris trip"


def test_shared_can_chat_teammates_answer_and_write(
    client, api, waiting, owner, teammate, outsider
):
    thread, record = waiting
    run = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    call_id = run.required_tool_calls[0].id
    client.force_login(owner)
    client.post(reverse("thread_sharing", args=[thread.pk]), {"sharing": "team_chat"})
    # Tomas answers the function call Olivia's message caused.
    client.force_login(teammate)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Submit outputs" in page and 'id="composer"' in page
    answered = client.post(
        reverse("run_submit_outputs", args=[thread.pk, record.run_id]),
        {f"output_{call_id}": "sunny"},
    )
    assert answered.status_code == 302
    submission = ToolOutputSubmission.objects.get()
    assert (submission.submitted_by, submission.output) == (teammate, "sunny")
    poll(client, thread, record.run_id, until=stopped)
    # Oscar writes next, and tries again; the runs are his.
    client.force_login(outsider)
    assert send(client, thread, "And tomorrow?").status_code == 302
    second = RunRecord.objects.exclude(pk=record.pk).get()
    assert second.started_by == outsider
    poll(client, thread, second.run_id, until=stopped)
    assert client.post(reverse("run_retry", args=[thread.pk])).status_code == 302
    third = RunRecord.objects.exclude(pk__in=[record.pk, second.pk]).get()
    assert third.started_by == outsider
    assert client.post(reverse("run_cancel", args=[thread.pk, third.run_id])).status_code == 302
    # Still only Olivia renames, deletes or changes the sharing.
    for who in [teammate, outsider]:
        client.force_login(who)
        assert set(owner_only_statuses(client, thread).values()) == {404}
    thread.refresh_from_db()
    assert thread.sharing == "team_chat" and thread.title == "Paris trip"
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "olivia" in page and "oscar" in page  # who wrote which message


def test_making_it_private_again_hides_it_and_is_audited(client, waiting, owner, teammate):
    thread, record = waiting
    client.force_login(owner)
    for level in ["team_read", "team_chat", "private"]:
        client.post(reverse("thread_sharing", args=[thread.pk]), {"sharing": level})
    client.force_login(teammate)
    assert set(read_statuses(client, thread, record).values()) == {404}
    events = AuditEvent.objects.filter(action="thread_sharing_changed").order_by("pk")
    assert [e.changes["sharing"] for e in events] == [
        ["private", "team_read"],
        ["team_read", "team_chat"],
        ["team_chat", "private"],
    ]
    assert {e.actor for e in events} == {owner}


def test_an_unknown_sharing_level_changes_nothing(client, waiting, owner):
    thread, _ = waiting
    client.force_login(owner)
    response = client.post(
        reverse("thread_sharing", args=[thread.pk]), {"sharing": "everyone"}, follow=True
    )
    assert "Choose who can see the thread." in response.content.decode()
    thread.refresh_from_db()
    assert thread.sharing == "private"


def test_a_shared_thread_stays_closed_to_an_account_without_a_role(client, waiting):
    thread, record = waiting
    thread.share("team_chat")
    nobody = get_user_model().objects.create_user("nora", "nora@example.com", PASSWORD)
    client.force_login(nobody)
    assert set(read_statuses(client, thread, record).values()) == {403}
    assert send(client, thread, "hi").status_code == 403
