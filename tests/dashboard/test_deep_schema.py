"""A JSON Schema nested hundreds deep is refused with a field error, before anything recursive
(the meta-schema check, the engine) sees it: it used to end in RecursionError, a 500."""

import json

import pytest
from django.urls import reverse

from assistants_app.forms import SCHEMA_DEPTH_MAX

from .support import HTMX, builder_data

pytestmark = pytest.mark.django_db(transaction=True)

TOO_DEEP = f"nested more than {SCHEMA_DEPTH_MAX} levels deep"


def nested_schema(levels: int) -> str:
    """An object schema whose property holds another object schema, `levels` times (written
    as text: json.dumps itself gives up a thousand levels down)."""
    opening = '{"type": "object", "properties": {"inner": ' * levels
    return opening + '{"type": "string"}' + "}}" * levels


@pytest.mark.parametrize("levels", [SCHEMA_DEPTH_MAX // 2, 400, 20_000])
def test_deep_function_parameters_are_a_field_error(client, owner, api, levels):
    client.force_login(owner)
    data = builder_data(functions=[{"name": "f", "parameters": nested_schema(levels)}])
    response = client.post(reverse("assistant_create"), data)
    assert response.status_code == 422
    assert TOO_DEEP in response.content.decode()
    assert api.assistants.list().data == []


def test_deep_response_format_schema_is_a_field_error(client, owner, api):
    client.force_login(owner)
    data = builder_data(
        response_format="json_schema",
        json_schema_name="answer",
        json_schema_schema=nested_schema(400),
    )
    response = client.post(reverse("assistant_create"), data)
    assert response.status_code == 422
    assert TOO_DEEP in response.content.decode()
    assert api.assistants.list().data == []


def test_live_schema_check_refuses_a_deep_schema(client, owner):
    client.force_login(owner)
    deep = nested_schema(400)
    response = client.post(
        reverse("assistant_check_schema"),
        {"field": "fn-0-parameters", "fn-0-parameters": deep},
        **HTMX,
    )
    assert response.status_code == 200
    assert TOO_DEEP in response.content.decode()


def test_a_schema_just_within_the_limit_is_accepted(client, owner, api):
    # Each level is two JSON containers deep (the object and its "properties"), plus the leaf.
    levels = (SCHEMA_DEPTH_MAX - 1) // 2
    client.force_login(owner)
    data = builder_data(functions=[{"name": "f", "parameters": nested_schema(levels)}])
    response = client.post(reverse("assistant_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    [created] = api.assistants.list().data
    assert json.dumps(created.tools[0].function.parameters) == nested_schema(levels)
