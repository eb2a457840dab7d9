"""The Engine keys page (administrators): a key is shown once, works with the SDK, shows when
it was last used, and stops working when revoked."""

import re

import openai
import pytest
from django.urls import reverse

from assistants_app.models import AuditEvent

# The SDK marks its Assistants API (beta) deprecated; using it is the point here.
pytestmark = [
    pytest.mark.django_db,
]


def created_key(response) -> str:
    return re.search(r'id="raw-key" class="code" type="text" readonly value="([^"]+)"',
                     response.content.decode()).group(1)  # fmt: skip


def sdk(live_server, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=live_server.url + "/v1", api_key=key, max_retries=0)


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_members_get_403(request, client, who, engine_key):
    from engine.models import EngineKey

    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("engine_key_list")).status_code == 403
    assert client.post(reverse("engine_key_create"), {"name": "mine"}).status_code == 403
    key = EngineKey.objects.get()
    assert client.post(reverse("engine_key_revoke", args=[key.pk])).status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None and EngineKey.objects.count() == 1


def test_create_use_and_revoke(client, admin_user, live_server):
    client.force_login(admin_user)
    response = client.post(reverse("engine_key_create"), {"name": "CI pipeline"})
    assert response.status_code == 201
    raw = created_key(response)
    assert raw.startswith("sk-studio-") and "shown only this once" in response.content.decode()

    with sdk(live_server, raw) as api:
        assert api.beta.assistants.list().data == []
    page = client.get(reverse("engine_key_list")).content.decode()
    assert raw not in page and raw[:14] + "…" in page  # the prefix tells keys apart
    assert "CI pipeline" in page and "by ada" in page and "never" not in page  # last used

    key_id = re.search(r'id="key-(\d+)"', page).group(1)
    client.post(reverse("engine_key_revoke", args=[key_id]))
    page = client.get(reverse("engine_key_list")).content.decode()
    assert "Revoked" in page
    with sdk(live_server, raw) as api, pytest.raises(openai.AuthenticationError):
        api.beta.assistants.list()
    actions = AuditEvent.objects.filter(object_type="engine_key").order_by("pk")
    assert [(e.action, e.actor) for e in actions] == [
        ("engine_key_created", admin_user),
        ("engine_key_revoked", admin_user),
    ]
    assert raw not in str(list(actions.values()))  # never in the audit trail either


def test_a_key_needs_a_name(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("engine_key_create"), {"name": "  "})
    assert response.status_code == 422 and "This field is required." in response.content.decode()


def test_revoking_an_unknown_key_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.post(reverse("engine_key_revoke", args=[999])).status_code == 404
