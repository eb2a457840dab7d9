"""The Settings page (views/settings.py): the current connection, its key masked."""

import pytest
from django.urls import reverse

from assistants_app.models import Connection

pytestmark = pytest.mark.django_db

SECRET = "sk-live-do-not-show-9f8e7d6c5b4a"


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_shows_the_builtin_connection(request, client, settings, who):
    settings.ENGINE_BASE_URL = "http://127.0.0.1:8123/v1"
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("settings")).content.decode()
    assert "Built-in engine" in page
    assert "http://127.0.0.1:8123/v1" in page
    assert 'aria-current="page">Settings' in page
    assert reverse("admin:index") not in page  # members get no admin link


def test_key_is_masked_and_staff_get_the_admin_link(client, admin_user):
    connection = Connection.objects.create(
        name="Hosted", base_url="https://api.example.com/v1", api_key=SECRET
    )
    connection.make_default()
    client.force_login(admin_user)
    page = client.get(reverse("settings")).content.decode()
    assert "Hosted" in page and "https://api.example.com/v1" in page
    assert "…5b4a" in page
    assert SECRET not in page and SECRET[:12] not in page
    assert "administration site" in page and reverse("admin:index") in page
