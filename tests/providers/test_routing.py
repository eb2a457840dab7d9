"""Which provider runs a model, which models there are, and the records and settings behind
them: providers, their models (discovered or typed, enabled or hidden), aliases, the setting
for names nobody serves, and the provider the ENGINE_CHAT_* settings make."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.models import ModelAlias, ModelProvider, ProviderModel, RoutingSettings
from engine.providers import all_models, provider_for, refresh, refresh_due, route
from engine.providers.base import ChatMessage, ChatRequest, ProviderError
from engine.providers.chat_completions import ChatCompletionsProvider
from engine.providers.demo import DemoProvider
from tests.fakes.chat_server import Fail, FakeChatServer

from .streams import assemble

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.fixture
def unconfigured(settings):
    settings.ENGINE_CHAT_BASE_URL = ""
    settings.ENGINE_CHAT_MODELS = []
    settings.ENGINE_FALLBACK_PROVIDER = "auto"
    return settings


def hello(model: str) -> ChatRequest:
    return ChatRequest(model=model, messages=[ChatMessage("user", "Hello")])


def provider_at(server: FakeChatServer, name: str = "local", **fields) -> ModelProvider:
    record = ModelProvider.objects.create(name=name, base_url=server.base_url, **fields)
    refresh(record)
    return record


@pytest.mark.parametrize("model", ["demo", "gpt-4o", "gpt-5-mini", "anything at all"])
def test_a_fresh_machine_runs_every_model_on_the_demo(unconfigured, model):
    provider = provider_for(model)
    assert isinstance(provider, DemoProvider)
    assert assemble(provider.stream(hello(model))).text.startswith('You said: "Hello".')


def test_a_fresh_machine_lists_only_the_demo(unconfigured):
    [info] = all_models()
    assert (info.id, info.description) == ("demo", "demo — scripted, not an AI")


def test_the_environment_makes_a_provider_marked_as_such(chat_model, chat_server):
    provider = provider_for(chat_model)
    assert isinstance(provider, ChatCompletionsProvider)
    assert assemble(provider.stream(hello(chat_model))).text == "Echo: Hello"
    record = ModelProvider.objects.get()
    assert (record.name, record.from_environment, record.base_url) == (
        "environment",
        True,
        chat_server.base_url,
    )
    assert record.api_key == "sk-test-not-a-real-key"
    assert [(m.name, m.discovered, m.enabled) for m in record.offered.all()] == [
        ("fake-model", False, True)
    ]


def test_once_a_provider_exists_unknown_names_are_refused(chat_model, settings):
    settings.ENGINE_FALLBACK_PROVIDER = "auto"
    with pytest.raises(ProviderError) as caught:
        provider_for("gpt-4o")
    assert caught.value.code == "invalid_prompt"
    assert caught.value.message == (
        "The model 'gpt-4o' does not exist or you do not have access to it."
    )
    assert isinstance(provider_for("demo"), DemoProvider)


def test_the_setting_for_unknown_names_wins(chat_model):
    RoutingSettings.objects.update_or_create(pk=1, defaults={"unknown_models": "demo"})
    assert isinstance(provider_for("gpt-4o"), DemoProvider)
    RoutingSettings.objects.filter(pk=1).update(unknown_models="refuse")
    with pytest.raises(ProviderError):
        provider_for("gpt-4o")


def test_all_models_lists_exactly_the_enabled_ones(chat_model, settings):
    settings.ENGINE_CHAT_MODELS = ["fake-model", "demo", "fake-large"]
    provider_for("fake-model")
    ProviderModel.objects.filter(name="fake-large").update(enabled=False)
    assert [(m.id, m.owned_by) for m in all_models()] == [
        ("demo", "assistant-studio"),
        ("fake-model", "environment"),
    ]
    ModelProvider.objects.update(enabled=False)
    assert [m.id for m in all_models()] == ["demo"]


def test_discovered_models_are_routed(chat_model, chat_server, settings):
    settings.ENGINE_CHAT_MODELS = []
    chat_server.models = ["llama3.2"]
    assert isinstance(provider_for("llama3.2"), ChatCompletionsProvider)
    assert [m.id for m in all_models()] == ["demo", "llama3.2"]
    [offered] = ProviderModel.objects.all()
    assert offered.discovered and offered.enabled


def test_a_hidden_model_is_neither_routed_nor_listed(chat_server, unconfigured):
    provider_at(chat_server)
    ProviderModel.objects.update(enabled=False)
    with pytest.raises(ProviderError):
        provider_for("fake-model")
    assert [m.id for m in all_models()] == ["demo"]


def test_fallback_chat_completions_sends_unlisted_models_to_the_endpoint(chat_model, settings):
    settings.ENGINE_FALLBACK_PROVIDER = "chat-completions"
    served = route("qwen2.5:7b")
    assert isinstance(served.provider, ChatCompletionsProvider) and served.model == "qwen2.5:7b"
    assert isinstance(provider_for("demo"), DemoProvider)


def test_an_unknown_fallback_is_a_clear_error(unconfigured):
    unconfigured.ENGINE_FALLBACK_PROVIDER = "openai"
    with pytest.raises(
        ProviderError, match="ENGINE_FALLBACK_PROVIDER is 'openai'; expected one of"
    ):
        provider_for("gpt-4o")


def test_the_provider_object_is_reused_until_its_record_changes(chat_model):
    first = provider_for(chat_model)
    assert provider_for(chat_model) is first  # pooled connections survive between runs
    record = ModelProvider.objects.get()
    record.extra_headers = {"X-Team": "blue"}
    record.save()
    second = provider_for(chat_model)
    assert second is not first and second.extra_headers == {"X-Team": "blue"}


# -- aliases, clashes, prefixes ----------------------------------------------------------------


def test_aliases_map_names_and_patterns_onto_served_models(chat_model, chat_server):
    ModelAlias.objects.create(pattern="gpt-4*", target="fake-model")
    ModelAlias.objects.create(pattern="gpt-4o-mini", target="demo")
    served = route("gpt-4-1106-preview")
    assert (served.model, served.provider_name) == ("fake-model", "environment")
    assert route("gpt-4o-mini").provider_name == "demo"  # an exact name beats a pattern
    with pytest.raises(ProviderError):
        route("gpt-3.5-turbo")


def test_an_alias_of_a_model_nobody_serves_says_so(chat_model):
    ModelAlias.objects.create(pattern="gpt-4o", target="nothing-here")
    with pytest.raises(ProviderError, match="alias of 'nothing-here', which no enabled"):
        route("gpt-4o")


def test_a_name_two_providers_offer_goes_where_the_administrator_picks(unconfigured):
    with FakeChatServer(models=["llama3"]) as one, FakeChatServer(models=["llama3"]) as two:
        first = provider_at(one, "first")
        second = provider_at(two, "second")
        assert route("llama3").provider_name == "first"  # the second waits for a pick
        assert not second.offered.get().enabled
        second.offered.get().pick()
        assert route("llama3").provider_name == "second"
        assert not first.offered.get().enabled
        first.set_prefix("a/")
        first.offered.get().pick()
        assert route("a/llama3").provider_name == "first"
        assert route("a/llama3").model == "llama3"  # the provider is asked by its own name
        assert route("llama3").provider_name == "second"


# -- discovery and outages -----------------------------------------------------------------------


def test_a_failed_listing_keeps_the_models_and_says_why(chat_server, unconfigured):
    record = provider_at(chat_server)
    chat_server.models_fail = Fail(503)
    assert refresh(record) is None
    record.refresh_from_db()
    assert "(HTTP 503)" in record.list_error
    assert route("fake-model").provider_name == "local"


def test_due_listings_are_refreshed(chat_server, unconfigured):
    record = provider_at(chat_server)
    assert refresh_due() == 0  # just listed
    ModelProvider.objects.filter(pk=record.pk).update(listed_at=None)
    chat_server.models = ["fake-model", "new-model"]
    assert refresh_due() == 1
    assert set(record.offered.values_list("name", flat=True)) == {"fake-model", "new-model"}


def test_settings_come_from_the_environment(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("sk-from-a-file\n")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DATA_DIR": str(tmp_path / "data"),
        "ENGINE_CHAT_BASE_URL": "https://example.openai.azure.com/openai/deployments/{model}",
        "ENGINE_CHAT_API_KEY_FILE": str(key_file),
        "ENGINE_CHAT_MODELS": "gpt-4o,gpt-4o-mini",
        "ENGINE_CHAT_AZURE_API_VERSION": "2024-10-21",
        "ENGINE_CHAT_TIMEOUT": "12.5",
        "ENGINE_FALLBACK_PROVIDER": "none",
    }
    environment.pop("ENGINE_CHAT_API_KEY", None)
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.ENGINE_CHAT_BASE_URL, s.ENGINE_CHAT_API_KEY, s.ENGINE_CHAT_MODELS,"
        " s.ENGINE_CHAT_AZURE_API_VERSION, s.ENGINE_CHAT_TIMEOUT, s.ENGINE_FALLBACK_PROVIDER]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(output.splitlines()[-1]) == [
        "https://example.openai.azure.com/openai/deployments/{model}",
        "sk-from-a-file",
        ["gpt-4o", "gpt-4o-mini"],
        "2024-10-21",
        12.5,
        "none",
    ]
