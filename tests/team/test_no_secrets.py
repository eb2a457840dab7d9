"""No secret in any rendered page or log: connection API keys (also as stored ciphertext),
engine keys, the dashboard's own engine key, SECRET_KEY, the encryption keys and the model
provider's key. Every page of the dashboard and of the admin, as an administrator and as a
member, with records everywhere."""

import re

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.hashers import identify_hasher
from django.db import connection as db
from django.db.models import CharField, TextField
from django.urls import reverse

from assistants_app.models import Connection, RunRecord
from dashboard import crypto
from engine.auth import dashboard_key
from engine.models import EngineKey, ModelProvider
from tests.conftest import PASSWORD
from tests.dashboard.support import poll, send, stopped

pytestmark = pytest.mark.django_db

API_KEY = "sk-hosted-secret-A1B2C3D4E5F6G7H8"
PROVIDER_KEY = "sk-provider-secret-Z9Y8X7W6V5"
NEW_KEY = "sk-typed-but-invalid-Q1W2E3R4"


@pytest.fixture
def secrets_everywhere(settings, client, admin_user, api, make_thread):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.ENGINE_CHAT_API_KEY = PROVIDER_KEY
    crypto._fernet.cache_clear()
    hosted = Connection.objects.create(
        name="Hosted", base_url="http://127.0.0.1:9/v1", api_key=API_KEY
    )
    _, engine_key = EngineKey.issue("CI")
    provider = ModelProvider.objects.create(
        name="Team GPU", base_url="http://127.0.0.1:9/v1", api_key=PROVIDER_KEY
    )
    with db.cursor() as cursor:
        cursor.execute("SELECT api_key FROM assistants_app_connection WHERE id = %s", [hosted.pk])
        ciphertext = cursor.fetchone()[0]
    thread = make_thread(admin_user, title="Secrets tour")
    client.force_login(admin_user)
    send(client, thread, "Hello")
    record = RunRecord.objects.get()
    poll(client, thread, record.run_id, until=stopped)
    thread.share("team_read")  # so that everyone's crawl opens it
    client.logout()
    secrets = [API_KEY, ciphertext, engine_key, dashboard_key(), settings.SECRET_KEY]
    secrets += [settings.FIELD_ENCRYPTION_KEYS[0], PROVIDER_KEY, NEW_KEY]
    yield {
        "hosted": hosted,
        "provider": provider,
        "thread": thread,
        "run": record,
        "secrets": secrets,
    }
    crypto._fernet.cache_clear()


def dashboard_pages(world, person) -> list[str]:
    thread, run, hosted = world["thread"], world["run"], world["hosted"]
    t, aid, p = thread.pk, thread.assistant_id, world["provider"].pk
    return [
        "/", "/settings/", "/assistants/", "/assistants/new/", f"/assistants/{aid}/",
        f"/assistants/{aid}/history/", f"/assistants/{aid}/delete/", "/threads/",
        f"/threads/{t}/", f"/threads/{t}/rename/", f"/threads/{t}/delete/",
        f"/threads/{t}/runs/{run.run_id}/steps/", "/files/", "/vector-stores/", "/people/",
        "/people/add/", f"/people/{person.pk}/", "/account/password/", "/connections/",
        "/connections/add/", f"/connections/{hosted.pk}/", f"/connections/{hosted.pk}/delete/",
        "/engine-keys/", "/models/", f"/models/providers/{p}/", f"/models/providers/{p}/delete/",
    ]  # fmt: skip


def admin_pages() -> list[str]:
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        for row in model.objects.all()[:3]:
            pages.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[quote(row.pk)])
            )
    return pages


def assert_clean(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:6]}…) shows in {where}"


def test_no_page_shows_a_secret(client, admin_user, outsider, secrets_everywhere, caplog):
    world, secrets = secrets_everywhere, secrets_everywhere["secrets"]
    with caplog.at_level("DEBUG"):
        client.force_login(admin_user)
        shown = 0
        for path in dashboard_pages(world, outsider) + admin_pages():
            response = client.get(path)
            assert response.status_code == 200, path
            assert_clean(response.content.decode(), secrets, path)
            shown += 1
        hosted = world["hosted"]
        for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
            tested = client.post(reverse("connection_test", args=[hosted.pk]), **extra)
            assert b"It does not work." in tested.content
            assert_clean(tested.content.decode(), secrets, "Test connection")
            tried = client.post(reverse("provider_test", args=[world["provider"].pk]), **extra)
            assert b"Failed after" in tried.content
            assert_clean(tried.content.decode(), secrets, "Test provider")
        refused = client.post(
            reverse("connection_edit", args=[hosted.pk]),
            {"name": "Hosted", "kind": "openai", "base_url": "nope", "api_key": NEW_KEY},
        )
        assert refused.status_code == 422
        assert_clean(refused.content.decode(), secrets, "a refused connection form")
        client.force_login(outsider)
        for path in dashboard_pages(world, outsider):
            response = client.get(path)
            assert response.status_code in (200, 403, 404), path  # 404: the owner's pages
            assert_clean(response.content.decode(), secrets, f"{path} (member)")
    assert shown > 60  # every model's list and records were looked at
    assert_clean(caplog.text, secrets, "the logs")


# Every stored text field named like a secret, and how it is kept. A new one must be added here,
# kept encrypted (EncryptedTextField) or as a one-way hash, and shown in the crawl above.
SECRET_NAME = re.compile(r"key|secret|token|password|credential")
KEPT = {
    "assistants_app.Connection.api_key",  # encrypted
    "engine.ModelProvider.api_key",  # encrypted
    "engine.EngineKey.key_hash",  # a SHA-256 of the key
    "auth.User.password",  # Django's password hash
    "sessions.Session.session_key",  # Django's session id
}


def test_every_stored_secret_is_encrypted_or_hashed(admin_user):
    fields = {
        f"{model._meta.label}.{field.name}": field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, CharField | TextField) and SECRET_NAME.search(field.name)
    }
    assert set(fields) == KEPT
    assert isinstance(fields["assistants_app.Connection.api_key"], crypto.EncryptedTextField)
    assert isinstance(fields["engine.ModelProvider.api_key"], crypto.EncryptedTextField)
    _, raw = EngineKey.issue("CI")
    assert list(EngineKey.objects.values_list("key_hash", flat=True)) == [EngineKey.hash(raw)]
    assert identify_hasher(admin_user.password) and PASSWORD not in admin_user.password
