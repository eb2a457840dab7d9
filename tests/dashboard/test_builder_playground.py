"""The builder as a playground (views/assistants.py): rows changed in place, the test chat,
code, export and import, and History's restore; against the built-in engine over real HTTP.

Assistants are shared by the team: owner, teammate and outsider may all use the builder.
A test chat is a thread of its own person's, private like any other.
"""

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from assistants_app.models import AuditEvent, ThreadRecord

from .support import HTMX, builder_data, create_assistant, created_id

pytestmark = pytest.mark.django_db


def test_a_row_added_with_htmx_comes_back_alone_and_without_it_the_whole_page(
    client, owner, engine
):
    client.force_login(owner)
    url = reverse("assistant_create")
    data = builder_data(name="Kept", action="add_metadata")
    section = client.post(url, data, **HTMX).content.decode()
    assert section.lstrip().startswith('<div id="metadata"')
    assert 'name="meta-0-key"' in section and "data-new-row" in section
    assert "<html" not in section and 'value="Kept"' not in section
    page = client.post(url, data).content.decode()
    assert "<html" in page and 'value="Kept"' in page and 'name="meta-0-key"' in page

    functions = client.post(url, builder_data(action="template-lookup_order"), **HTMX)
    assert functions.content.decode().lstrip().startswith('<div id="functions"')
    assert 'value="lookup_order"' in functions.content.decode()


def test_at_sixteen_metadata_rows_the_add_button_says_why_it_is_gone(client, owner, engine):
    client.force_login(owner)
    rows = {f"meta-{n}-key": f"k{n}" for n in range(15)}
    data = builder_data(action="add_metadata", **{"meta-TOTAL_FORMS": "15"}, **rows)
    section = client.post(reverse("assistant_create"), data, **HTMX).content.decode()
    assert section.count('name="meta-') >= 16 * 2
    assert ">Add metadata<" not in section
    assert "as many metadata pairs as an assistant can have" in section


def settings_of(**fields) -> str:
    """The builder's fields as builder.js posts them with a test chat message."""
    return urlencode(builder_data(**fields))


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_try_runs_with_the_unsaved_settings_in_a_test_chat_of_ones_own(
    request, client, api, owner, who
):
    assistant = api.assistants.create(model="demo", name="Tutor", instructions="Saved words.")
    person = request.getfixturevalue(who)
    client.force_login(person)
    url = reverse("assistant_try", args=[assistant.id])
    settings = settings_of(name="Tutor", instructions="Unsaved words.", temperature="0.3")
    response = client.post(url, {"content": "Hello", "settings": settings}, **HTMX)
    assert response.status_code == 200

    [thread] = ThreadRecord.objects.filter(assistant_id=assistant.id)
    assert thread.owner == person and thread.trial and thread.sharing == "private"
    [record] = thread.runs.all()
    assert record.options["instructions"] == "Unsaved words."
    assert record.options["temperature"] == 0.3 and record.options["top_p"] == 1.0
    run = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
    assert run.instructions == "Unsaved words." and run.temperature == 0.3
    assert api.assistants.retrieve(assistant.id).instructions == "Saved words."

    # Not in My threads until kept; on the assistant's page, beside the builder.
    assert "Hello" not in client.get(reverse("thread_list")).content.decode()
    assert (
        'id="test-chat"'
        in client.get(reverse("assistant_edit", args=[assistant.id])).content.decode()
    )
    client.post(reverse("assistant_try_keep", args=[assistant.id]))
    thread.refresh_from_db()
    assert not thread.trial
    assert "Hello" in client.get(reverse("thread_list")).content.decode()


def test_someone_elses_test_chat_is_theirs_alone(client, api, owner, teammate):
    assistant = api.assistants.create(model="demo", name="Tutor")
    client.force_login(owner)
    url = reverse("assistant_try", args=[assistant.id])
    client.post(url, {"content": "Owner's secret question"}, **HTMX)
    [thread] = ThreadRecord.objects.filter(assistant_id=assistant.id)

    client.force_login(teammate)
    page = client.get(reverse("assistant_edit", args=[assistant.id])).content.decode()
    assert "Owner's secret question" not in page and "No messages yet" in page
    assert client.get(thread.get_absolute_url()).status_code == 404
    # The teammate's keep and open find no test chat of theirs; the owner's stays unkept.
    client.post(reverse("assistant_try_keep", args=[assistant.id]))
    opened = client.get(reverse("assistant_try_open", args=[assistant.id]))
    assert opened.url == reverse("assistant_edit", args=[assistant.id])
    thread.refresh_from_db()
    assert thread.trial
    client.post(url, {"content": "Teammate here"}, **HTMX)
    assert ThreadRecord.objects.filter(assistant_id=assistant.id, owner=teammate).count() == 1


def test_try_with_settings_in_error_says_so_and_sends_nothing(client, api, owner):
    assistant = api.assistants.create(model="demo", name="Tutor")
    client.force_login(owner)
    url = reverse("assistant_try", args=[assistant.id])
    settings = settings_of(temperature="7")
    response = client.post(url, {"content": "Keep me", "settings": settings}, **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert "The settings in the form need attention first" in page
    assert "Temperature" in page and "Keep me" in page
    assert not ThreadRecord.objects.filter(assistant_id=assistant.id).exists()


def composer_of(page: str) -> str:
    start = page.index('<form id="composer"')
    return page[start : page.index("</form>", start)]


def test_the_test_chat_begins_with_the_thread_pages_composer_posting_to_try(client, api, owner):
    assistant = api.assistants.create(model="demo", name="Tutor")
    client.force_login(owner)
    url = reverse("assistant_try", args=[assistant.id])
    page = client.get(reverse("assistant_edit", args=[assistant.id])).content.decode()
    composer = composer_of(page)
    assert f'action="{url}"' in composer and f'hx-post="{url}"' in composer
    for part in ('name="attachments"', "Advanced options for this run", 'name="model"'):
        assert part in composer
    assert 'name="assistant_id"' not in composer  # the address names the assistant
    assert page.count('id="composer-reason"') == 1

    # Refused, the box comes back with what was typed and why.
    typed = {"content": "Hello", "tool_choice": "not a function name"}
    refused = client.post(url, typed, **HTMX)
    assert refused.status_code == 422
    composer = composer_of(refused.content.decode())
    assert f'action="{url}"' in composer and "Hello</textarea>" in composer
    assert '<details class="run-options" open>' in composer
    assert not ThreadRecord.objects.filter(assistant_id=assistant.id).exists()

    # The first message's own options go with the form's unsaved settings.
    settings = settings_of(name="Tutor", instructions="Unsaved words.")
    sent = {"content": "Hello", "additional_instructions": "Be terse.", "settings": settings}
    assert client.post(url, sent, **HTMX).status_code == 200
    [record] = ThreadRecord.objects.get(assistant_id=assistant.id).runs.all()
    assert record.options["instructions"] == "Unsaved words."
    assert record.options["additional_instructions"] == "Be terse."


def test_without_javascript_a_refused_test_message_comes_back_on_the_whole_page(client, api, owner):
    assistant = api.assistants.create(model="demo", name="Tutor", instructions="Saved words.")
    client.force_login(owner)
    url = reverse("assistant_try", args=[assistant.id])
    typed = {"content": "Keep this", "tool_choice": "not a function name"}
    for turn in ("before the first message", "in a test chat already going"):
        refused = client.post(url, typed)  # a plain form post: the page comes back whole
        assert refused.status_code == 422, turn
        page = refused.content.decode()
        assert "<html" in page and "Saved words.</textarea>" in page, turn  # the builder, as saved
        assert "Keep this</textarea>" in composer_of(page), turn
        assert '<details class="run-options" open>' in composer_of(page), turn
        assert page.count('id="composer-reason"') == 1, turn
        assert "not saved" not in page.lower(), turn  # nothing in the builder was changed
        client.post(url, {"content": "Hello"})  # the test chat begins, or goes on
    thread = ThreadRecord.objects.get(assistant_id=assistant.id)
    sent = [m.content[0].text.value for m in api.threads.messages.list(thread.thread_id).data]
    assert "Keep this" not in sent and "Hello" in sent


def test_try_needs_a_known_assistant(client, owner, engine):
    client.force_login(owner)
    response = client.post(reverse("assistant_try", args=["asst_nope"]), {"content": "hi"})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_export_is_the_api_object_for_anyone_in_the_team(request, client, api, who):
    assistant = api.assistants.create(
        model="demo",
        name="Exported",
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": {}}},
    )
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("assistant_export", args=[assistant.id]))
    assert response["Content-Disposition"] == f'attachment; filename="{assistant.id}.json"'
    exported = json.loads(response.content)
    assert exported["id"] == assistant.id and exported["object"] == "assistant"
    assert exported["response_format"]["json_schema"]["schema"] == {}  # the API's names


def test_import_creates_or_opens_the_builder_with_field_errors(client, api, teammate):
    client.force_login(teammate)
    url = reverse("assistant_import")
    good = {"model": "demo", "name": "From code", "tools": [{"type": "code_interpreter"}]}
    created = client.post(url, {"text": json.dumps(good)})
    [assistant] = api.assistants.list().data
    assert created.url == reverse("assistant_edit", args=[assistant.id])
    assert assistant.name == "From code" and assistant.tools[0].type == "code_interpreter"

    bad = client.post(url, {"text": json.dumps({"model": "demo", "temperature": 9})})
    assert bad.status_code == 422
    page = bad.content.decode()
    assert f'action="{reverse("assistant_create")}"' in page
    assert "Ensure this value is less than or equal to 2" in page
    for shape in ("[1, 2]", '{"tools": "none"}', "{nope"):
        refused = client.post(url, {"text": shape})
        assert refused.status_code == 422 and b"error-box" in refused.content
    assert len(api.assistants.list().data) == 1


def test_use_from_code_names_this_deployment_and_the_key_page_for_administrators(
    client, api, owner, admin_user
):
    assistant = api.assistants.create(model="demo", name="Coded")
    url = reverse("assistant_edit", args=[assistant.id])
    client.force_login(owner)
    page = client.get(url).content.decode()
    assert "base_url=&quot;http://testserver/v1&quot;" in page
    assert f"assistant_id=&quot;{assistant.id}&quot;" in page
    assert "baseURL" in page and "curl http://testserver/v1/threads/runs" in page
    assert reverse("engine_key_create") not in page
    client.force_login(admin_user)
    assert reverse("engine_key_create") in client.get(url).content.decode()


def _weather_function(schema: dict, description: str = "Weather") -> list[dict[str, str]]:
    return [{"name": "get_weather", "description": description, "parameters": json.dumps(schema)}]


CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
CITY_UNIT = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city"],
}


def _made_and_changed(client) -> str:
    created = create_assistant(
        client,
        name="Desk",
        instructions="Be brief.",
        temperature="0.5",
        functions=_weather_function(CITY),
    )
    assistant_id = created_id(created)
    client.post(
        reverse("assistant_edit", args=[assistant_id]),
        builder_data(
            name="Weather desk",
            instructions="Be brief.\nSay the unit.",
            functions=_weather_function(CITY_UNIT, "Weather now"),
            metadata={"team": "ops"},
        ),
    )
    return assistant_id


def test_history_reads_like_a_change_log(client, api, owner):
    client.force_login(owner)
    assistant_id = _made_and_changed(client)
    page = client.get(reverse("assistant_history", args=[assistant_id])).content.decode()
    assert (
        'Name</strong>: <span class="from">Desk</span> → <span class="to">Weather desk</span>'
        in page
    )
    assert (
        'Temperature</strong>: <span class="from">0.5</span> → <span class="to">(empty)</span>'
        in page
    )
    assert 'Function get_weather</strong> <span class="muted">changed</span>' in page
    described = '<span class="from">Weather</span> → <span class="to">Weather now</span>'
    assert f"Description</strong>: {described}" in page
    # The schema as a diff of its lines, not two blobs.
    assert '<span class="diff-add">+     &quot;unit&quot;: {</span>' in page
    assert '<span class="diff-add">+ Say the unit.</span>' in page
    assert 'team</strong> <span class="muted">added</span>' in page
    assert page.count(">Restore this version<") == 1  # not for the current version


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_restore_a_version_for_anyone_in_the_team(request, client, api, owner, who):
    client.force_login(owner)
    assistant_id = _made_and_changed(client)
    first = AuditEvent.objects.filter(object_id=assistant_id).order_by("at", "pk").first()
    person = request.getfixturevalue(who)
    client.force_login(person)
    response = client.post(reverse("assistant_restore", args=[assistant_id, first.pk]))
    assert response.url == reverse("assistant_history", args=[assistant_id])
    restored = api.assistants.retrieve(assistant_id)
    assert restored.name == "Desk" and restored.instructions == "Be brief."
    assert restored.temperature == 0.5 and restored.metadata == {}
    assert restored.tools[0].function.parameters == CITY
    assert restored.tools[0].function.description == "Weather"
    latest = AuditEvent.objects.filter(object_id=assistant_id).first()
    assert latest.actor == person and latest.changes["name"] == ["Weather desk", "Desk"]


def test_restore_only_a_version_of_this_assistant(client, api, owner):
    client.force_login(owner)
    assistant_id = _made_and_changed(client)
    other_id = created_id(create_assistant(client, name="Other"))
    foreign = AuditEvent.objects.filter(object_id=other_id).get()
    url = reverse("assistant_restore", args=[assistant_id, foreign.pk])
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405
    assert api.assistants.retrieve(assistant_id).name == "Weather desk"


DEMO_NOTICE = "This is the offline demo model:"


def test_the_builder_and_the_chat_say_once_that_this_is_the_demo(
    client, api, owner, admin_user, make_thread
):
    assistant = api.assistants.create(model="demo", name="Demo desk")
    builder = reverse("assistant_edit", args=[assistant.id])
    client.force_login(owner)
    page = client.get(builder).content.decode()
    assert page.count(DEMO_NOTICE) == 1
    assert "An administrator can connect a real model." in page
    assert reverse("model_list") not in page
    assert client.get(reverse("assistant_create")).content.decode().count(DEMO_NOTICE) == 1

    thread = make_thread(owner, title="Hi", assistant=assistant)
    assert client.get(thread.get_absolute_url()).content.decode().count(DEMO_NOTICE) == 1

    client.force_login(admin_user)
    page = client.get(builder).content.decode()
    assert f'href="{reverse("model_list")}"' in page


def test_a_streamed_test_chat_counts_against_the_persons_budget(client, api, owner):
    from django.utils import timezone

    from engine.models import MonthlyTokens, Run, TokenBudget
    from engine.usage_models import month_of

    TokenBudget.objects.create(person=owner, monthly_tokens=100)
    MonthlyTokens.add(month_of(timezone.now()), 100, person_id=owner.pk)
    assistant = api.assistants.create(model="demo", name="Tutor")
    client.force_login(owner)
    response = client.post(
        reverse("assistant_try", args=[assistant.id]),
        {"content": "Hello", "settings": settings_of(name="Tutor")},
        **HTMX,
        HTTP_ACCEPT="text/event-stream",
    )
    assert response["Content-Type"].startswith("text/event-stream")
    body = b"".join(response.streaming_content).decode()
    assert "monthly limit of 100 tokens is used up" in body
    assert not Run.objects.exists()
