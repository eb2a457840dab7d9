"""The engine's records in the Django admin: staff inspect every model (ids and JSON payloads
read-only, pretty-printed) and manage keys; non-staff and anonymous visitors are kept out."""

import pytest
from django.urls import reverse

from engine.models import Assistant, EngineKey, Message, Run, RunStep, Thread
from tests.support import admin_change_url


@pytest.fixture
def records(db):
    assistant = Assistant.objects.create(
        model="demo", name="Tutor", tools=[{"type": "code_interpreter"}], metadata={"k": "v"}
    )
    thread = Thread.objects.create()
    run = Run.objects.create(thread=thread, assistant_id=assistant.id, model="demo")
    message = thread.add_message(role="user", content=Message.text_content("<b>Hello</b>"))
    step = RunStep.objects.create(
        run=run,
        thread=thread,
        assistant_id=assistant.id,
        type=RunStep.MESSAGE_CREATION,
        step_details={"type": "message_creation", "message_creation": {"message_id": message.id}},
    )
    key, _ = EngineKey.issue("ops")
    return [assistant, thread, run, message, step, key]


def test_staff_inspect_every_engine_model(client, admin_user, records):
    client.force_login(admin_user)
    for record in records:
        meta = record._meta
        changelist = client.get(reverse(f"admin:engine_{meta.model_name}_changelist"))
        assert changelist.status_code == 200
        assert str(record.pk) in changelist.content.decode()
        change = client.get(admin_change_url(f"engine_{meta.model_name}", record.pk))
        assert change.status_code == 200
    page = client.get(admin_change_url("engine_assistant", records[0].pk)).content
    assert b"&quot;type&quot;: &quot;code_interpreter&quot;" in page  # pretty-printed JSON
    assert b'name="model"' not in page  # read-only, no input
    message_page = client.get(admin_change_url("engine_message", records[3].pk))
    assert b"<b>Hello</b>" not in message_page.content  # escaped, never rendered


def test_search_and_filters(client, admin_user, records):
    client.force_login(admin_user)
    run = records[2]
    found = client.get(reverse("admin:engine_run_changelist"), {"q": run.id})
    assert run.id in found.content.decode()
    filtered = client.get(reverse("admin:engine_run_changelist"), {"status": "completed"})
    assert run.id not in filtered.content.decode()
    by_model = client.get(reverse("admin:engine_run_changelist"), {"model": "demo"})
    assert run.id in by_model.content.decode()


def test_keys_are_only_inspected_in_the_admin(client, admin_user, db):
    # Creating and revoking happen on the Engine keys page (key shown once, audited); the
    # admin must neither put a new key in a message cookie nor bring a revoked key back.
    key, _raw = EngineKey.issue("Zapier", created_by=admin_user)
    key.revoke()
    client.force_login(admin_user)
    assert client.get(reverse("admin:engine_enginekey_add")).status_code == 403
    change = admin_change_url("engine_enginekey", key.pk)
    client.post(change, {"name": "Renamed", "revoked_at": ""})
    key.refresh_from_db()
    assert key.name == "Zapier" and key.revoked_at is not None
    assert client.post(reverse("admin:engine_enginekey_delete", args=[key.pk])).status_code == 403


@pytest.mark.parametrize("who", ["owner", "outsider", None])
def test_non_staff_cannot_see_engine_records(client, request, records, owner, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:engine_run_changelist"))
    assert response.status_code == 302 and "login/?next=/admin/engine/run/" in response["Location"]
