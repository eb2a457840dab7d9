"""The Models page (administrators): providers added, tested, refreshed, edited and deleted;
models served or hidden; aliases; the setting for names nobody serves; and what the engine's
/v1/models then lists. Members may not see or change any of it."""

from __future__ import annotations

import openai
import pytest
from django.urls import reverse

from engine.models import ModelAlias, ModelProvider, ProviderModel, RoutingSettings
from tests.fakes.chat_server import Fail, FakeChatServer

pytestmark = pytest.mark.django_db
KEY = "sk-provider-secret-0123456789"


@pytest.fixture
def server():
    with FakeChatServer(models=["llama3.2", "qwen2.5"]) as server:
        server.flavour = "ollama"  # its models at /api/tags
        yield server


@pytest.fixture
def admin(client, admin_user, settings):
    settings.ENGINE_CHAT_BASE_URL = ""
    client.force_login(admin_user)
    return client


def add(client, server, **fields):
    data = {"name": "local", "kind": "ollama", "base_url": server.base_url, "api_key": KEY,
            "discover": "on", "enabled": "on", **fields}  # fmt: skip
    return client.post(reverse("provider_add"), data)


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_members_get_403(request, client, who, server):
    record = ModelProvider.objects.create(name="x", base_url=server.base_url)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("model_list")).status_code == 403
    assert client.get(reverse("provider_add")).status_code == 403
    assert add(client, server, name="mine").status_code == 403
    assert client.post(reverse("provider_delete", args=[record.pk])).status_code == 403
    assert client.post(reverse("provider_test", args=[record.pk])).status_code == 403
    assert client.post(reverse("alias_add"), {"pattern": "a", "target": "b"}).status_code == 403
    assert client.post(reverse("unknown_models_set"), {"unknown_models": "demo"}).status_code == 403
    assert list(ModelProvider.objects.values_list("name", flat=True)) == ["x"]
    assert not ModelAlias.objects.exists()
    assert "Models</a>" not in client.get(reverse("home")).content.decode()


def test_signed_out_visitors_are_sent_to_log_in(client, owner):
    response = client.get(reverse("model_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_add_a_provider_lists_its_models_and_keeps_the_key_secret(admin, server):
    response = add(admin, server)
    assert response.status_code == 302
    record = ModelProvider.objects.get()
    assert record.api_key == KEY and record.kind == "ollama"
    assert sorted(record.offered.values_list("model_id", flat=True)) == ["llama3.2", "qwen2.5"]
    page = admin.get(reverse("model_list")).content.decode()
    assert "llama3.2" in page and "Ollama" in page and "Models</a>" in page
    assert KEY not in page and "…6789" in page
    assert KEY not in admin.get(reverse("provider_edit", args=[record.pk])).content.decode()


def test_editing_without_a_key_keeps_the_stored_one(admin, server):
    add(admin, server)
    record = ModelProvider.objects.get()
    data = {"name": "renamed", "kind": "ollama", "base_url": server.base_url, "discover": "on",
            "enabled": "on", "extra_headers": "X-Team: blue"}  # fmt: skip
    assert admin.post(reverse("provider_edit", args=[record.pk]), data).status_code == 302
    record.refresh_from_db()
    assert (record.name, record.api_key, record.extra_headers) == (
        "renamed",
        KEY,
        {"X-Team": "blue"},
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"base_url": "not a url"}, "Enter a valid URL."),
        ({"kind": "azure"}, "Azure OpenAI needs an API version"),
        ({"extra_headers": "Authorization: Bearer x"}, "Authorization is set by the engine"),
        ({"extra_headers": "no colon here"}, "Line 1 is not"),
    ],
)
def test_bad_input_is_explained(admin, server, fields, error):
    response = add(admin, server, **fields)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not ModelProvider.objects.exists()


def test_a_duplicate_name_is_refused_in_words(admin, server):
    add(admin, server)
    response = add(admin, server)
    assert response.status_code == 422
    assert "A provider named “local” exists already." in response.content.decode()


def test_test_says_how_long_it_took(admin, server):
    add(admin, server)
    record = ModelProvider.objects.get()
    page = admin.post(reverse("provider_test", args=[record.pk])).content.decode()
    assert "Works: answered in" in page and "Echo: Say OK." in page
    fragment = admin.post(reverse("provider_test", args=[record.pk]), HTTP_HX_REQUEST="true")
    assert "Works: answered in" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_test_says_what_went_wrong(admin, server):
    add(admin, server)
    record = ModelProvider.objects.get()
    server.script(Fail(401, message="bad key"))
    page = admin.post(reverse("provider_test", args=[record.pk])).content.decode()
    assert "Failed after" in page and "refused the API key (HTTP 401)" in page


def test_refresh_reports_a_listing_that_failed(admin, server):
    add(admin, server)
    record = ModelProvider.objects.get()
    server.models_fail = Fail(503)
    response = admin.post(reverse("provider_refresh", args=[record.pk]), follow=True)
    assert "(HTTP 503)" in response.content.decode()
    assert record.offered.count() == 2  # its models stay


def test_hide_serve_alias_and_what_v1_models_lists(admin, server, live_server):
    add(admin, server)
    qwen = ProviderModel.objects.get(name="qwen2.5")
    admin.post(reverse("model_toggle", args=[qwen.pk]), {"enabled": "0"})
    admin.post(reverse("alias_add"), {"pattern": "gpt-4*", "target": "llama3.2"})
    from engine.auth import dashboard_key

    sdk = openai.OpenAI(base_url=live_server.url + "/v1", api_key=dashboard_key(), max_retries=0)
    listed = {m.id: m.owned_by for m in sdk.models.list()}
    assert listed == {"demo": "assistant-studio", "llama3.2": "local"}
    assert ModelAlias.objects.get().target == "llama3.2"
    page = admin.get(reverse("model_list")).content.decode()
    assert "gpt-4*" in page and "hidden" in page


def test_the_unknown_names_setting(admin, server):
    page = admin.get(reverse("model_list")).content.decode()
    assert "answered by the offline demo model" in page  # a fresh install
    add(admin, server)
    page = admin.get(reverse("model_list")).content.decode()
    assert "refused with “model not found”" in page
    admin.post(reverse("unknown_models_set"), {"unknown_models": "demo"})
    assert RoutingSettings.current().unknown_models == "demo"


def test_delete_asks_first(admin, server):
    add(admin, server)
    record = ModelProvider.objects.get()
    page = admin.get(reverse("provider_delete", args=[record.pk])).content.decode()
    assert "Delete the provider “local”?" in page and ModelProvider.objects.exists()
    admin.post(reverse("provider_delete", args=[record.pk]))
    assert not ModelProvider.objects.exists() and not ProviderModel.objects.exists()


def test_the_environment_provider_is_marked(admin, chat_model):
    from engine.providers import all_models

    all_models()
    page = admin.get(reverse("model_list")).content.decode()
    assert "from the environment" in page and "fake-model" in page
