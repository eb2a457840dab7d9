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
from tests.support import admin_change_url

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


def change_page(client, model: str, pk) -> str:
    response = client.get(admin_change_url(model, pk))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_links_lead_from_the_thread_to_runs_steps_and_tool_outputs(client, chat, admin_user):
    thread, record = chat
    client.force_login(admin_user)
    thread_page = change_page(client, "assistants_app_threadrecord", thread.pk)
    assert admin_change_url("assistants_app_runrecord", record.pk) in thread_page
    assert admin_change_url("engine_thread", thread.thread_id) in thread_page
    run_page = change_page(client, "assistants_app_runrecord", record.pk)
    assert admin_change_url("engine_run", record.run_id) in run_page
    assert "get_weather" in run_page and "&lt;b&gt;clear&lt;/b&gt;" in run_page  # inert
    output = record.tool_outputs.get()
    assert admin_change_url("assistants_app_tooloutputsubmission", output.pk) in run_page
    output_page = change_page(client, "assistants_app_tooloutputsubmission", output.pk)
    assert "&quot;city&quot;: &quot;Oslo&quot;" in output_page  # arguments pretty-printed
    # The engine's side: thread → its messages and runs → the run's steps → the tool call.
    engine_thread = change_page(client, "engine_thread", thread.thread_id)
    assert admin_change_url("engine_run", record.run_id) in engine_thread
    assert "/admin/engine/message/msg_5F" in engine_thread
    engine_run = change_page(client, "engine_run", record.run_id)
    assert engine_run.count("/admin/engine/runstep/step_5F") >= 2  # the tool call and answer
    from engine.models import RunStep

    step = RunStep.objects.filter(run_id=record.run_id, type="tool_calls").get()
    step_page = change_page(client, "engine_runstep", step.pk)
    assert "&quot;output&quot;: &quot;{\\&quot;sky\\&quot;" in step_page
    assert admin_change_url("engine_run", record.run_id) in step_page


def test_identifiers_are_read_only(client, chat, admin_user):
    thread, record = chat
    client.force_login(admin_user)
    page = change_page(client, "assistants_app_threadrecord", thread.pk)
    assert 'name="thread_id"' not in page and 'name="title"' in page  # the title may change
    assert 'name="run_id"' not in change_page(client, "assistants_app_runrecord", record.pk)


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_members_are_kept_out(request, client, who):
    client.force_login(request.getfixturevalue(who))
    for url in [reverse("admin:index"), reverse("admin:assistants_app_auditevent_changelist")]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ThreadRecord.objects.count() == 0
