"""The audit trail: who created, changed (field by field) and deleted each assistant, who
started each run, who submitted which tool outputs, and every sign-in."""

import pytest
from django.urls import reverse

from assistants_app.models import AuditEvent, RunRecord
from tests.conftest import PASSWORD
from tests.dashboard.support import builder_data, poll, send, stopped, waiting_for_outputs

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def test_an_assistants_life_is_attributed_field_by_field(
    client, api, owner, teammate, outsider, admin_user
):
    client.force_login(owner)
    created = client.post(
        reverse("assistant_create"), builder_data(name="Planner", instructions="Plan trips.")
    )
    assistant_id = created["Location"].strip("/").split("/")[-1]
    client.force_login(teammate)
    edit = reverse("assistant_edit", args=[assistant_id])
    client.post(
        edit, builder_data(name="Trip planner", instructions="Plan trips.", temperature="0.5")
    )
    client.post(
        edit, builder_data(name="Trip planner", instructions="Plan trips.", temperature="0.5")
    )
    client.force_login(outsider)
    client.post(reverse("assistant_delete", args=[assistant_id]))

    events = AuditEvent.objects.filter(object_id=assistant_id).order_by("pk")
    assert [(e.action, e.actor) for e in events] == [
        (Action.ASSISTANT_CREATED, owner),
        (Action.ASSISTANT_CHANGED, teammate),  # the second save changed nothing: no entry
        (Action.ASSISTANT_DELETED, outsider),
    ]
    created_event, changed, deleted = events
    assert created_event.changes["name"] == [None, "Planner"]
    assert created_event.changes["instructions"] == [None, "Plan trips."]
    assert changed.changes["name"] == ["Planner", "Trip planner"]
    assert changed.changes["temperature"] == [1.0, 0.5]
    assert "instructions" not in changed.changes and "model" not in changed.changes
    assert deleted.details["last_values"]["name"] == "Trip planner"

    # The History page tells the story, even after the deletion.
    history = client.get(reverse("assistant_history", args=[assistant_id])).content.decode()
    assert "History of Trip planner" in history and "has been deleted" in history
    for words in ["olivia</strong> created the assistant", "tomas</strong> changed the assistant",
                  "oscar</strong> deleted the assistant", "Plan trips."]:  # fmt: skip
        assert words in history
    assert history.index("oscar") < history.index("tomas") < history.index("olivia")

    # Administrators see everything in the admin, with the diff as a table.
    client.force_login(admin_user)
    listing = client.get(reverse("admin:assistants_app_auditevent_changelist")).content.decode()
    assert "Trip planner" in listing and "Planner" in listing
    page = client.get(
        reverse("admin:assistants_app_auditevent_change", args=[changed.pk])
    ).content.decode()
    assert "<th>temperature</th>" in page and "Trip planner" in page
    assert 'name="action"' not in page  # read-only
    assert (
        client.post(
            reverse("admin:assistants_app_auditevent_delete", args=[changed.pk]), {"post": "yes"}
        ).status_code
        == 403
    )  # nobody erases the trail


def test_history_page_from_the_assistant_page(client, owner, api, weather_assistant):
    client.force_login(owner)
    page = client.get(reverse("assistant_edit", args=[weather_assistant.id])).content.decode()
    history_url = reverse("assistant_history", args=[weather_assistant.id])
    assert f'href="{history_url}"' in page
    empty = client.get(history_url).content.decode()
    assert "No recorded changes" in empty  # made through the API, not here
    assert client.get(reverse("assistant_history", args=["asst_nope"])).status_code == 404


def test_history_renders_html_in_values_as_text(client, owner, api):
    client.force_login(owner)
    created = client.post(
        reverse("assistant_create"),
        builder_data(name="<img src=x onerror=alert(1)>", instructions="<script>alert(1)</script>"),
    )
    assistant_id = created["Location"].strip("/").split("/")[-1]
    history = client.get(reverse("assistant_history", args=[assistant_id])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in history
    assert "<script>alert(1)" not in history and "<img src=x" not in history


def test_who_started_each_run_and_submitted_which_outputs(client, owner, api, make_thread):
    thread = make_thread(owner, title="Weather")
    client.force_login(owner)
    send(client, thread, "get_weather city=Oslo", temperature="0.2")
    record = RunRecord.objects.get()
    poll(client, thread, record.run_id, until=waiting_for_outputs)
    run = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    client.post(
        reverse("run_submit_outputs", args=[thread.pk, record.run_id]),
        {f"output_{run.required_tool_calls[0].id}": '{"temperature": 4}'},
    )
    poll(client, thread, record.run_id, until=stopped)
    started = AuditEvent.objects.get(action=Action.RUN_STARTED)
    assert (started.actor, started.object_id, started.object_label) == (
        owner,
        record.run_id,
        "Weather",
    )
    assert started.details["options"] == {"temperature": 0.2}
    submitted = AuditEvent.objects.get(action=Action.TOOL_OUTPUTS_SUBMITTED)
    assert submitted.actor == owner and submitted.object_id == record.run_id
    [output] = submitted.details["outputs"]
    assert output["function"] == "get_weather" and output["output"] == '{"temperature": 4}'
    assert '"city": "Oslo"' in output["arguments"] or '"city":"Oslo"' in output["arguments"]
    # The trail outlives the thread.
    thread.delete()
    assert AuditEvent.objects.filter(object_id=record.run_id).count() == 2


def test_sign_ins_and_failures_are_recorded_without_passwords(client, owner):
    client.post(reverse("login"), {"username": "olivia", "password": "wrong-password"})
    client.post(reverse("login"), {"username": "nobody", "password": "wrong-password"})
    client.post(reverse("login"), {"username": "olivia", "password": PASSWORD})
    events = AuditEvent.objects.filter(object_type="person").order_by("pk")
    assert [(e.action, e.actor, e.actor_name, e.ip_address) for e in events] == [
        (Action.SIGN_IN_FAILED, owner, "olivia", "127.0.0.1"),
        (Action.SIGN_IN_FAILED, None, "nobody", "127.0.0.1"),
        (Action.SIGNED_IN, owner, "olivia", "127.0.0.1"),
    ]
    stored = str(list(AuditEvent.objects.values()))
    assert "wrong-password" not in stored and PASSWORD not in stored
