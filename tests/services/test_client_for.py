"""client_for(connection): the right base URL, credentials and style for each kind."""

from __future__ import annotations

import pytest

from assistants_app.models import Connection
from assistants_app.services import AssistantsClient, client_for
from assistants_app.services.connections import shared_http_client

pytestmark = pytest.mark.django_db


def test_openai_compatible_connection(respx_mock):
    connection = Connection.objects.create(
        name="Other server",
        kind=Connection.Kind.OPENAI,
        base_url="https://assistants.example.test/v1/",
        api_key="sk-other-1234",
        organization="org_9",
        project="proj_9",
    )
    route = respx_mock.get("https://assistants.example.test/v1/threads/t").respond(json={"id": "t"})
    client = client_for(Connection.objects.get(pk=connection.pk))  # key decrypted from the DB
    assert isinstance(client, AssistantsClient)
    client.threads.retrieve("t")
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == "Bearer sk-other-1234"
    assert (headers["OpenAI-Organization"], headers["OpenAI-Project"]) == ("org_9", "proj_9")


def test_azure_connection(respx_mock):
    connection = Connection.objects.create(
        name="Azure",
        kind=Connection.Kind.AZURE,
        base_url="https://studio.openai.azure.test/openai",
        api_key="az-secret",
        api_version="2024-05-01-preview",
    )
    route = respx_mock.get("https://studio.openai.azure.test/openai/assistants").respond(
        json={"object": "list", "data": [], "has_more": False}
    )
    client_for(connection).assistants.list()
    request = route.calls.last.request
    assert request.headers["api-key"] == "az-secret"
    assert "Authorization" not in request.headers
    assert request.url.params["api-version"] == "2024-05-01-preview"


def test_clients_share_one_connection_pool_and_do_not_close_it():
    connection = Connection.objects.create(name="A", base_url="https://a.test/v1", api_key="k")
    with client_for(connection) as first:
        pass
    second = client_for(connection, timeout=3.0, max_retries=0)
    assert second._http is shared_http_client()
    assert not shared_http_client().is_closed  # `with` closed only what the client owns
    assert (second.timeout, second.max_retries) == (3.0, 0)
    assert first._http is second._http
