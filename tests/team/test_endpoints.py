"""Functions answered by an HTTP endpoint (endpoints.py, views/endpoints.py): administrators
enter endpoints; the dashboard POSTs calls to a real local HTTP server standing in for one."""

import time

import pytest
from django.urls import reverse

from assistants_app import endpoints
from assistants_app.models import (
    Answer,
    Endpoint,
    RunRecord,
    ToolOutputSubmission,
    WaitingRun,
)
from tests.dashboard.support import HTMX, poll, send, stopped, waiting_count
from tests.support import answered_by, logged_in, make_endpoint, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("500", "answered HTTP 500"),
        ("large", "larger than 1,000,000 bytes"),
        ("redirect", "redirected to another host (example.org)"),
        ("not json", "not JSON"),
    ],
)
def test_failures_are_told_in_words(remote, behaviour, words):
    remote.behaviour = behaviour
    result = endpoints.call(make_endpoint(remote), {"function": "f", "arguments": {}})
    assert not result["ok"] and words in result["error"]


def test_a_timeout_is_told_in_words(remote):
    remote.behaviour = "slow"
    started = time.monotonic()
    result = endpoints.call(make_endpoint(remote, timeout_seconds=0.5), {"function": "f"})
    assert not result["ok"] and "did not answer within 0.5 s" in result["error"]
    assert time.monotonic() - started < 5


def test_headers_are_sent_encrypted_at_rest_and_never_shown(remote, admin_user):
    endpoint = make_endpoint(remote, headers="Authorization: Bearer s3cret-token-value")
    assert endpoints.call(endpoint, {"function": "f", "arguments": {}})["ok"]
    assert remote.received[-1]["headers"]["Authorization"] == "Bearer s3cret-token-value"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT headers FROM assistants_app_endpoint")
        assert "s3cret" not in cursor.fetchone()[0]
    page = logged_in(admin_user).get(reverse("endpoint_edit", args=[endpoint.pk]))
    assert "s3cret" not in page.content.decode() and "1 header stored" in page.content.decode()


def test_only_administrators_manage_endpoints(remote, owner, admin_user):
    endpoint = make_endpoint(remote)
    member = logged_in(owner)
    for url in (reverse("endpoint_list"), reverse("endpoint_add")):
        assert member.get(url).status_code == 403
    assert member.post(reverse("endpoint_test", args=[endpoint.pk])).status_code == 403
    assert member.post(reverse("endpoint_delete", args=[endpoint.pk])).status_code == 403
    assert member.get(reverse("assistant_answering", args=["asst_x"])).status_code == 403
    admin = logged_in(admin_user)
    refused = admin.post(
        reverse("endpoint_add"),
        {
            "name": "Files",
            "url": "ftp://example.org/x",
            "timeout_seconds": 5,
            "max_response_bytes": 1000,
        },
    )
    assert "Only http:// and https://" in refused.content.decode()
    tested = admin.post(reverse("endpoint_test", args=[endpoint.pk]), **HTMX).content.decode()
    assert "Answered" in tested and remote.received[-1]["body"]["function"] == "sample_function"


def weather_asked(mode, city, remote, owner, make_thread, assistant):
    """The owner asks `assistant`, whose get_weather the endpoint answers in `mode`, for the
    weather in `city`: (their client, the thread, the run's record)."""
    answered_by(assistant, mode, remote)
    thread = make_thread(owner)
    client = logged_in(owner)
    send(client, thread, f"get_weather city={city}")
    return client, thread, RunRecord.objects.get(thread=thread)


def endpoint_asked(record: RunRecord) -> WaitingRun:
    """Wait until the endpoint's result is stored with `record`'s waiting row: that row."""
    return wait_until(
        lambda: WaitingRun.objects.filter(run=record).exclude(endpoint_results={}).first(),
        message="the endpoint's result beside the waiting run",
    )


def test_with_approval_the_card_shows_the_answer_and_the_edited_text_is_sent(
    remote, owner, make_thread, weather_assistant
):
    client, thread, record = weather_asked(
        "approval", "Paris", remote, owner, make_thread, weather_assistant
    )
    wait_until(lambda: waiting_count(client) == "1", message="the run to be counted")
    row = endpoint_asked(record)
    assert remote.received[0]["body"]["arguments"] == {"city": "Paris"}
    page = client.get(reverse("waiting_list")).content.decode()
    assert "Weather service answered" in page and "&quot;temperature&quot;: 21" in page
    assert ToolOutputSubmission.objects.count() == 0  # a person approves first
    call_id = row.calls[0]["id"]
    url = reverse("waiting_answer", args=[thread.pk, record.run_id])
    client.post(url, {f"output_{call_id}": '{"city": "Paris", "temperature": 25}'}, **HTMX)
    submission = ToolOutputSubmission.objects.get()
    assert submission.how == "endpoint_edited" and submission.endpoint_status == 200
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert '"temperature": 25' in done


def test_automatic_answers_are_submitted_without_a_person(
    remote, owner, make_thread, weather_assistant
):
    client, thread, record = weather_asked(
        "automatic", "Oslo", remote, owner, make_thread, weather_assistant
    )
    wait_until(
        lambda: (
            client.get(reverse("waiting_count"), **HTMX)
            and (ToolOutputSubmission.objects.filter(run=record).first())
        )
    )
    submission = ToolOutputSubmission.objects.get(run=record)
    assert submission.how == "automatic" and submission.submitted_by is None
    assert '"Oslo"' in submission.output
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert "get_weather returned" in done and "Oslo" in done
    steps = client.get(reverse("run_steps", args=[thread.pk, record.run_id])).content.decode()
    assert "answered automatically by the endpoint (HTTP 200, " in steps
    # A card drawn while the endpoint was being asked learns, at its next poll, that it answered.
    call_id = submission.tool_call_id
    help_url = reverse("waiting_call_help", args=[thread.pk, record.run_id, call_id])
    card = client.get(help_url, **HTMX)
    assert card.status_code == 286  # polling stops
    assert "Answered</strong> automatically by the endpoint" in card.content.decode()


def test_a_failing_endpoint_leaves_the_person_to_answer(
    remote, owner, make_thread, weather_assistant
):
    remote.behaviour = "500"
    client, _, record = weather_asked(
        "automatic", "Lima", remote, owner, make_thread, weather_assistant
    )
    wait_until(lambda: waiting_count(client) == "1", message="the run to be counted")
    endpoint_asked(record)
    page = client.get(reverse("waiting_list")).content.decode()
    assert "could not answer" in page and "answered HTTP 500" in page
    assert not ToolOutputSubmission.objects.exists()


def test_testing_an_endpoint_sends_a_sample_and_never_submits_for_a_waiting_run(
    remote, owner, admin_user, make_thread, weather_assistant
):
    client, thread, record = weather_asked(
        "approval", "Quito", remote, owner, make_thread, weather_assistant
    )
    endpoint = Endpoint.objects.get()
    row = endpoint_asked(record)
    asked = len(remote.received)
    admin = logged_in(admin_user)
    shown = admin.post(reverse("endpoint_test", args=[endpoint.pk]), **HTMX).content.decode()
    assert "Answered" in shown and "HTTP 200" in shown
    assert len(remote.received) == asked + 1
    assert remote.received[-1]["body"] == endpoints.SAMPLE_CALL  # not the waiting call
    without_js = admin.post(reverse("endpoint_test", args=[endpoint.pk]))
    assert without_js.status_code == 302
    assert not ToolOutputSubmission.objects.exists() and not Answer.objects.exists()
    still = WaitingRun.objects.get(run=record)
    assert still.round_id == row.round_id and still.endpoint_results == row.endpoint_results
    status = poll(client, thread, record.run_id, until=lambda r: b"Submit outputs" in r.content)
    assert status.status_code == 200  # the run still waits for a person


def test_an_endpoint_that_cannot_be_reached_is_told_in_words():
    refused = Endpoint(name="Closed", url="http://127.0.0.1:9/answer", timeout_seconds=5)
    result = endpoints.call(refused, {"function": "f"})
    assert result["error"] == (
        "Could not reach the endpoint: 127.0.0.1 refused the connection "
        "(nothing listens on that port?)."
    )
    unknown = Endpoint(name="Nowhere", url="http://no-such-host.invalid/answer", timeout_seconds=5)
    result = endpoints.call(unknown, {"function": "f"})
    assert not result["ok"] and "no host is named no-such-host.invalid" in result["error"]
