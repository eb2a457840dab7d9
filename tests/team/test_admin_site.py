"""The admin shows every stored record, the dashboard's and the engine's, with lists, filters,
search, dates, raw ids, read-only identifiers, pretty JSON, and links between related records.
Administrators (the role, not only superusers) see it all; members are kept out."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse

from assistants_app.models import RunRecord, ThreadRecord
from assistants_app.roles import set_role
from tests.dashboard.support import poll, send, stopped

pytestmark = pytest.mark.django_db

STORED_APPS = {"assistants_app", "engine", "engine_files", "django_tasks_database"}


def stored_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in STORED_APPS]


def test_every_stored_model_is_registered_with_the_full_set_of_options():
    for model in stored_models():
        model_admin = admin.site._registry.get(model)
        label = model._meta.label
        assert model_admin is not None, f"{label} is not in the admin"
        assert tuple(model_admin.list_display) != ("__str__",), label
        assert model_admin.search_fields, label
        if model._meta.label != "engine_files.Chunk":  # no useful column to filter chunks on
            assert model_admin.list_filter, label
        dated = [f for f in model._meta.fields if isinstance(f, models.DateTimeField)]
        if dated and label != "engine_files.Chunk":
            assert model_admin.date_hierarchy, label
        shown_read_only = model_admin.get_readonly_fields(None)
        for field in model._meta.fields:
            if isinstance(field, models.ForeignKey):
                linked = field.name in model_admin.raw_id_fields or field.name in shown_read_only
                assert linked, f"{label}.{field.name} would be a select of every row"


@pytest.fixture
def chat(client, owner, api, make_thread):
    """One finished chat turn with a function call answered: records everywhere."""
    thread = make_thread(owner, title="Admin tour")
    client.force_login(owner)
    send(client, thread, "get_weather city=Oslo")
    record = RunRecord.objects.get()
    poll(client, thread, record.run_id, until=lambda r: b"Submit outputs" in r.content)
    call_id = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    call_id = call_id.required_tool_calls[0].id
    client.post(
        reverse("run_submit_outputs", args=[thread.pk, record.run_id]),
        {f"output_{call_id}": '{"sky": "<b>clear</b>"}'},
    )
    poll(client, thread, record.run_id, until=stopped)
    client.logout()
    return thread, record


def administrator():
    """An administrator by role only: staff through the group, not a superuser."""
    person = get_user_model().objects.create_user("adele", "adele@example.com", "x" * 20)
    set_role(person, "administrator")
    return person


def test_an_administrator_opens_every_list_and_record(client, chat):
    client.force_login(administrator())
    for model in stored_models():
        meta = model._meta
        changelist = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert changelist.status_code == 200, meta.label
        first = model.objects.first()
        if first is not None:
            change = client.get(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[quote(first.pk)])
            )
            assert change.status_code == 200, meta.label


def test_links_lead_from_the_thread_to_runs_steps_and_tool_outputs(client, chat, admin_user):
    thread, record = chat
    client.force_login(admin_user)
    thread_page = client.get(
        reverse("admin:assistants_app_threadrecord_change", args=[thread.pk])
    ).content.decode()
    assert reverse("admin:assistants_app_runrecord_change", args=[record.pk]) in thread_page
    assert reverse("admin:engine_thread_change", args=[quote(thread.thread_id)]) in thread_page
    run_page = client.get(
        reverse("admin:assistants_app_runrecord_change", args=[record.pk])
    ).content.decode()
    assert reverse("admin:engine_run_change", args=[quote(record.run_id)]) in run_page
    assert "get_weather" in run_page and "&lt;b&gt;clear&lt;/b&gt;" in run_page  # inert
    output = record.tool_outputs.get()
    assert reverse("admin:assistants_app_tooloutputsubmission_change", args=[output.pk]) in run_page
    output_page = client.get(
        reverse("admin:assistants_app_tooloutputsubmission_change", args=[output.pk])
    ).content.decode()
    assert "&quot;city&quot;: &quot;Oslo&quot;" in output_page  # arguments pretty-printed
    # The engine's side: thread → its messages and runs → the run's steps → the tool call.
    engine_thread = client.get(
        reverse("admin:engine_thread_change", args=[quote(thread.thread_id)])
    ).content.decode()
    assert reverse("admin:engine_run_change", args=[quote(record.run_id)]) in engine_thread
    assert "/admin/engine/message/msg_5F" in engine_thread
    engine_run = client.get(reverse("admin:engine_run_change", args=[quote(record.run_id)])).content
    step_links = engine_run.decode().count("/admin/engine/runstep/step_5F")
    assert step_links >= 2  # the tool call step and the answer
    from engine.models import RunStep

    step = RunStep.objects.filter(run_id=record.run_id, type="tool_calls").get()
    step_page = client.get(reverse("admin:engine_runstep_change", args=[quote(step.pk)])).content
    assert b"&quot;output&quot;: &quot;{\\&quot;sky\\&quot;" in step_page
    assert reverse("admin:engine_run_change", args=[quote(record.run_id)]).encode() in step_page


def test_identifiers_are_read_only(client, chat, admin_user):
    thread, record = chat
    client.force_login(admin_user)
    page = client.get(
        reverse("admin:assistants_app_threadrecord_change", args=[thread.pk])
    ).content.decode()
    assert 'name="thread_id"' not in page and 'name="title"' in page  # the title may change
    run_page = client.get(reverse("admin:assistants_app_runrecord_change", args=[record.pk]))
    assert b'name="run_id"' not in run_page.content


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_members_are_kept_out(request, client, who):
    client.force_login(request.getfixturevalue(who))
    for url in [reverse("admin:index"), reverse("admin:assistants_app_auditevent_changelist")]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ThreadRecord.objects.count() == 0
