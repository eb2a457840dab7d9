"""Assistant pages (views/assistants.py) against the built-in engine over real HTTP.

Assistants are shared by the team: owner, teammate and outsider may all see and change them;
only anonymous visitors are turned away.
"""

import json

import pytest
from django.urls import reverse

from assistants_app.models import AssistantRecord, Connection
from tests.support import WEATHER_TOOL

from .support import HTMX, builder_data, create_assistant, created_id

pytestmark = pytest.mark.django_db


def test_empty_state_invites_the_first_assistant(client, owner, engine):
    client.force_login(owner)
    page = client.get(reverse("assistant_list")).content.decode()
    assert "No assistants yet" in page
    assert "Create your first assistant" in page


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_list_is_shared_by_the_team(request, client, owner, api, who):
    client.force_login(owner)
    created = create_assistant(
        client, name="Forecaster", code_interpreter="on", functions=[{"name": "get_weather"}]
    )
    assert created.status_code == 302
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("assistant_list")).content.decode()
    assert "Forecaster" in page
    assert "<code>demo</code>" in page
    assert "Code interpreter" in page and "ƒ get_weather" in page
    assert "ago by olivia" in page


def test_search_by_name_and_cursor_paging(client, owner, api):
    for number in range(22):
        api.assistants.create(model="demo", name=f"Bot {number:02d}")
    api.assistants.create(model="demo", name="Weather desk")
    client.force_login(owner)
    first = client.get(reverse("assistant_list")).content.decode()
    assert "Weather desk" in first  # newest first
    assert first.count('<tr>\n          <td><a href="/assistants/') == 20
    assert "Next page" in first
    after = first.split("after=")[1].split('"')[0]
    second = client.get(reverse("assistant_list"), {"after": after}).content.decode()
    assert "Bot 00" in second and "Bot 19" not in second and "Next page" not in second

    found = client.get(reverse("assistant_list"), {"q": "weather"}).content.decode()
    assert "Weather desk" in found and "Bot 01" not in found
    nothing = client.get(reverse("assistant_list"), {"q": "zebra"}).content.decode()
    assert "No assistant is called “zebra”" in nothing


def test_search_as_htmx_returns_only_the_results(client, owner, api):
    api.assistants.create(model="demo", name="Helper")
    client.force_login(owner)
    fragment = client.get(reverse("assistant_list"), {"q": "help"}, **HTMX).content.decode()
    assert "Helper" in fragment and "<html" not in fragment


def test_create_with_every_field(client, owner, api):
    client.force_login(owner)
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    response = create_assistant(
        client,
        name="Full",
        description="All the fields",
        instructions="Be brief.",
        file_search="on",
        temperature="0.4",
        response_format="json_schema",
        json_schema_name="answer",
        json_schema_schema=json.dumps(schema),
        reasoning_effort="low",
        functions=[
            {
                "name": "get_weather",
                "description": "Weather",
                "parameters": json.dumps(WEATHER_TOOL["function"]["parameters"]),
                "strict": "on",
            }
        ],
        metadata={"team": "support"},
    )
    assistant_id = created_id(response)
    stored = api.assistants.retrieve(assistant_id)
    assert stored.name == "Full" and stored.instructions == "Be brief."
    assert stored.temperature == 0.4 and stored.metadata == {"team": "support"}
    assert [t.type for t in stored.tools] == ["file_search", "function"]
    assert stored.tools[1].function.strict is True
    assert stored.response_format.type == "json_schema"
    record = AssistantRecord.objects.get(assistant_id=assistant_id)
    assert record.created_by == owner and record.changed_by == owner

    page = client.get(response["Location"]).content.decode()
    assert 'value="get_weather"' in page and "Be brief." in page
    assert "Chat with this assistant" in page


def test_over_long_name_is_a_field_error_and_nothing_is_sent(client, owner, api):
    client.force_login(owner)
    response = client.post(reverse("assistant_create"), builder_data(name="n" * 300))
    assert response.status_code == 422
    assert "Ensure this value has at most 256 characters (it has 300)." in response.content.decode()
    assert 'value="' + "n" * 300 + '"' in response.content.decode()  # kept
    assert api.assistants.list().data == []


def test_invalid_json_schema_says_where(client, owner, api):
    client.force_login(owner)
    bad = '{"type": "object", "properties": {"city": {"type": "strin"}}}'
    response = create_assistant(client, functions=[{"name": "f", "parameters": bad}])
    page = response.content.decode()
    assert response.status_code == 422
    assert "This is not a valid JSON Schema at $.properties.city.type" in page
    assert api.assistants.list().data == []


def test_rows_are_added_from_templates_and_removed_without_errors(client, owner, engine):
    client.force_login(owner)
    page = client.post(
        reverse("assistant_create"), builder_data(name="x", action="template-get_weather")
    ).content.decode()
    assert 'name="fn-0-name"' in page and 'value="get_weather"' in page
    assert "&quot;location&quot;" in page
    assert "field-error" not in page
    removed = create_assistant(
        client, functions=[{"name": "a"}], action="remove_function-0"
    ).content.decode()
    assert 'name="fn-0-name"' not in removed


def test_api_unreachable_error_shown_next_to_the_form_with_everything_kept(
    client, owner, settings, engine
):
    client.force_login(owner)
    settings.ENGINE_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    response = client.post(
        reverse("assistant_create"), builder_data(name="Kept", instructions="Still here")
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "The assistant was not saved." in page
    assert 'value="Kept"' in page and "Still here" in page


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_edit_is_attributed(request, client, owner, api, weather_assistant, who):
    AssistantRecord.note_change(
        connection=_default(), assistant_id=weather_assistant.id, name="", user=owner
    )
    person = request.getfixturevalue(who)
    client.force_login(person)
    url = reverse("assistant_edit", args=[weather_assistant.id])
    response = client.post(url, builder_data(name="Renamed", temperature="1.5"))
    assert response.status_code == 302
    assert api.assistants.retrieve(weather_assistant.id).name == "Renamed"
    record = AssistantRecord.objects.get(assistant_id=weather_assistant.id)
    assert record.created_by == owner and record.changed_by == person
    assert f"ago by {person.username}" in client.get(url).content.decode()


def test_edit_form_shows_the_stored_values(client, owner, weather_assistant):
    client.force_login(owner)
    page = client.get(reverse("assistant_edit", args=[weather_assistant.id])).content.decode()
    assert 'value="Weather helper"' in page
    assert 'value="get_weather"' in page
    assert "&quot;city&quot;" in page


def test_unknown_assistant_is_404(client, owner, engine):
    client.force_login(owner)
    assert client.get(reverse("assistant_edit", args=["asst_nope"])).status_code == 404
    assert client.get(reverse("assistant_delete", args=["asst_nope"])).status_code == 404


def test_duplicate(client, teammate, api, weather_assistant):
    client.force_login(teammate)
    response = client.post(reverse("assistant_duplicate", args=[weather_assistant.id]))
    copy_id = created_id(response)
    copy = api.assistants.retrieve(copy_id)
    assert copy.name == "Copy of Weather helper"
    assert copy.tools[0].function.name == "get_weather"
    assert AssistantRecord.objects.get(assistant_id=copy_id).created_by == teammate


def test_delete_asks_first_then_deletes(client, outsider, api, weather_assistant):
    client.force_login(outsider)
    url = reverse("assistant_delete", args=[weather_assistant.id])
    confirm = client.get(url).content.decode()
    assert "Delete “Weather helper”?" in confirm
    assert [a.id for a in api.assistants.list().data] == [weather_assistant.id]
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("assistant_list")
    assert api.assistants.list().data == []


def test_live_schema_check(client, owner):
    client.force_login(owner)
    url = reverse("assistant_check_schema")
    bad = client.post(url, {"field": "fn-0-parameters", "fn-0-parameters": '{"type": 5}'}, **HTMX)
    assert "not a valid JSON Schema at $.type" in bad.content.decode()
    good = client.post(
        url, {"field": "fn-0-parameters", "fn-0-parameters": '{"type": "object"}'}, **HTMX
    )
    assert "Valid JSON Schema." in good.content.decode()


def test_model_choices_come_from_the_connection(client, owner, engine):
    client.force_login(owner)
    page = client.get(reverse("assistant_create")).content.decode()
    assert '<option value="demo">' in page


def _default():
    from assistants_app.models import Connection

    return Connection.objects.default()


def test_a_new_assistant_starts_on_a_model_the_connection_offers(client, owner, engine):
    client.force_login(owner)
    form = client.get(reverse("assistant_create")).context["form"]
    assert form["model"].value() == "demo"  # the built-in engine's only model here


def test_a_new_assistant_starts_on_the_connections_default_model(client, owner, engine):
    connection = Connection.objects.default()
    connection.default_model = "my-model"
    connection.save()
    client.force_login(owner)
    form = client.get(reverse("assistant_create")).context["form"]
    assert form["model"].value() == "my-model"
