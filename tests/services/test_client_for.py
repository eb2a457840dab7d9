"""client_for(connection): the right base URL, credentials and style for each kind."""

from __future__ import annotations

import pytest

from assistants_app.models import Connection
from assistants_app.services import AssistantsClient, client_for
from assistants_app.services.connections import shared_http_client

pytestmark = pytest.mark.django_db


OPENAI = {
    "kind": Connection.Kind.OPENAI,
    "base_url": "https://assistants.example.test/v1/",
    "api_key": "sk-other-1234",
    "organization": "org_9",
    "project": "proj_9",
}
AZURE = {
    "kind": Connection.Kind.AZURE,
    "base_url": "https://studio.openai.azure.test/openai",
    "api_key": "az-secret",
    "api_version": "2024-05-01-preview",
}


@pytest.mark.parametrize(
    ("fields", "url", "sent", "not_sent"),
    [
        pytest.param(
            OPENAI,
            "https://assistants.example.test/v1/assistants",
            {
                "Authorization": "Bearer sk-other-1234",
                "OpenAI-Organization": "org_9",
                "OpenAI-Project": "proj_9",
            },
            "api-key",
            id="openai-compatible",
        ),
        pytest.param(
            AZURE,
            "https://studio.openai.azure.test/openai/assistants?api-version=2024-05-01-preview",
            {"api-key": "az-secret"},
            "Authorization",
            id="azure",
        ),
    ],
)
def test_each_kind_of_connection(respx_mock, fields, url, sent, not_sent):
    connection = Connection.objects.create(name="Backend", **fields)
    route = respx_mock.get(url).respond(json={"object": "list", "data": [], "has_more": False})
    client = client_for(Connection.objects.get(pk=connection.pk))  # key decrypted from the DB
    assert isinstance(client, AssistantsClient)
    client.assistants.list()
    headers = route.calls.last.request.headers
    assert {name: headers.get(name) for name in sent} == sent
    assert not_sent not in headers


def test_clients_share_one_connection_pool_and_do_not_close_it():
    connection = Connection.objects.create(name="A", base_url="https://a.test/v1", api_key="k")
    with client_for(connection) as first:
        pass
    second = client_for(connection, timeout=3.0, max_retries=0)
    assert second._http is shared_http_client()
    assert not shared_http_client().is_closed  # `with` closed only what the client owns
    assert (second.timeout, second.max_retries) == (3.0, 0)
    assert first._http is second._http
