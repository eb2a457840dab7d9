"""The Engine keys page sets what each key may do with the team's assistants and vector stores
(none / read / read and write): administrators only, audited, and it takes effect on the key's
next request."""

import re

import openai
import pytest
from django.urls import reverse

from assistants_app.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def key():
    from engine.models import EngineKey

    return EngineKey.issue("Zapier")


def _selected(page: str, key_id: int) -> str:
    form = re.search(rf'<select id="access-{key_id}" name="team_access">(.*?)</select>', page, re.S)
    return re.search(r'<option value="(\w+)" selected>', form.group(1)).group(1)


def test_an_administrator_gives_a_key_read_access(client, admin_user, key, api, live_server):
    made, raw = key
    team_assistant = api.assistants.create(model="demo", name="Team helper")
    with openai.OpenAI(base_url=live_server.url + "/v1", api_key=raw, max_retries=0) as sdk:
        assert sdk.beta.assistants.list().data == []
        client.force_login(admin_user)
        page = client.get(reverse("engine_key_list")).content.decode()
        assert _selected(page, made.pk) == "none" and "What a key can see" in page

        url = reverse("engine_key_access", args=[made.pk])
        response = client.post(url, {"team_access": "read"}, follow=True)
        assert response.redirect_chain == [(reverse("engine_key_list"), 302)]
        page = response.content.decode()
        assert _selected(page, made.pk) == "read"
        assert "The key Zapier now has this team access: Read." in page
        assert [a.id for a in sdk.beta.assistants.list()] == [team_assistant.id]
        with pytest.raises(openai.NotFoundError):
            sdk.beta.assistants.update(team_assistant.id, name="Not with read access")

        client.post(url, {"team_access": "read"})  # unchanged: nothing to audit
        client.post(url, {"team_access": "write"})
        assert sdk.beta.assistants.update(team_assistant.id, name="Renamed").name == "Renamed"
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ENGINE_KEY_CHANGED)
    assert [(e.actor, e.object_id, e.changes) for e in events.order_by("pk")] == [
        (admin_user, str(made.pk), {"team_access": ["none", "read"]}),
        (admin_user, str(made.pk), {"team_access": ["read", "write"]}),
    ]
    assert events.first().object_label == f"Zapier ({made.prefix}…)"


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_members_cannot_change_a_keys_access(request, client, who, key):
    made, _ = key
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("engine_key_access", args=[made.pk]), {"team_access": "write"})
    assert response.status_code == 403
    made.refresh_from_db()
    assert made.team_access == "none"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ENGINE_KEY_CHANGED).exists()


def test_a_bad_value_or_an_unknown_key_changes_nothing(client, admin_user, key):
    made, _ = key
    client.force_login(admin_user)
    url = reverse("engine_key_access", args=[made.pk])
    assert client.post(url, {"team_access": "admin"}).status_code == 422
    assert client.get(url).status_code == 405
    unknown = reverse("engine_key_access", args=[made.pk + 1])
    assert client.post(unknown, {"team_access": "read"}).status_code == 404
    made.refresh_from_db()
    assert made.team_access == "none"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ENGINE_KEY_CHANGED).exists()


def test_a_revoked_key_shows_its_access_without_a_form(client, admin_user, key):
    made, _ = key
    made.team_access = "read"
    made.save()
    made.revoke()
    client.force_login(admin_user)
    page = client.get(reverse("engine_key_list")).content.decode()
    row = re.search(rf'<tr id="key-{made.pk}">(.*?)</tr>', page, re.S).group(1)
    assert "Read" in row and "<select" not in row
