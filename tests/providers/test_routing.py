"""Which provider runs a model, which models there are, and the settings behind them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.providers import all_models, provider_for
from engine.providers.base import ChatMessage, ChatRequest, ProviderError
from engine.providers.chat_completions import ChatCompletionsProvider
from engine.providers.demo import DemoProvider

from .streams import assemble

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def unconfigured(settings):
    settings.ENGINE_CHAT_BASE_URL = ""
    settings.ENGINE_CHAT_MODELS = []
    settings.ENGINE_FALLBACK_PROVIDER = "demo"
    return settings


def hello(model: str) -> ChatRequest:
    return ChatRequest(model=model, messages=[ChatMessage("user", "Hello")])


@pytest.mark.parametrize("model", ["demo", "gpt-4o", "gpt-5-mini", "anything at all"])
def test_a_fresh_machine_runs_every_model_on_the_demo(unconfigured, model):
    provider = provider_for(model)
    assert isinstance(provider, DemoProvider)
    assert assemble(provider.stream(hello(model))).text.startswith('You said: "Hello".')


def test_a_fresh_machine_lists_only_the_demo(unconfigured):
    [info] = all_models()
    assert (info.id, info.description) == ("demo", "demo — scripted, not an AI")


def test_listed_models_go_to_the_chat_endpoint_and_others_to_the_demo(chat_model, chat_server):
    provider = provider_for(chat_model)
    assert isinstance(provider, ChatCompletionsProvider)
    assert assemble(provider.stream(hello(chat_model))).text == "Echo: Hello"
    assert chat_server.chat_requests[0].body["model"] == "fake-model"
    assert isinstance(provider_for("gpt-4o"), DemoProvider)
    assert isinstance(provider_for("demo"), DemoProvider)


def test_all_models_lists_the_demo_first_then_the_configured_ones(chat_model, settings):
    settings.ENGINE_CHAT_MODELS = ["fake-model", "demo", "fake-large"]
    assert [(m.id, m.owned_by) for m in all_models()] == [
        ("demo", "assistant-studio"),
        ("fake-model", "127.0.0.1"),
        ("fake-large", "127.0.0.1"),
    ]


def test_without_configured_names_the_servers_models_are_routed(chat_model, chat_server, settings):
    settings.ENGINE_CHAT_MODELS = []
    chat_server.models = ["llama3.2"]
    assert isinstance(provider_for("llama3.2"), ChatCompletionsProvider)
    assert isinstance(provider_for("fake-model"), DemoProvider)
    assert [m.id for m in all_models()] == ["demo", "llama3.2"]


def test_fallback_chat_completions_sends_unlisted_models_to_the_endpoint(chat_model, settings):
    settings.ENGINE_FALLBACK_PROVIDER = "chat-completions"
    assert isinstance(provider_for("qwen2.5:7b"), ChatCompletionsProvider)
    assert isinstance(provider_for("demo"), DemoProvider)


def test_fallback_chat_completions_without_an_endpoint_stays_on_the_demo(unconfigured):
    unconfigured.ENGINE_FALLBACK_PROVIDER = "chat-completions"
    assert isinstance(provider_for("gpt-4o"), DemoProvider)


def test_fallback_none_refuses_unknown_models(chat_model, settings):
    settings.ENGINE_FALLBACK_PROVIDER = "none"
    with pytest.raises(ProviderError) as caught:
        provider_for("gpt-4o")
    assert caught.value.code == "invalid_prompt"
    assert (
        caught.value.message == "The model 'gpt-4o' does not exist or you do not have access to it."
    )
    assert isinstance(provider_for("demo"), DemoProvider)


def test_an_unknown_fallback_is_a_clear_error(unconfigured):
    unconfigured.ENGINE_FALLBACK_PROVIDER = "openai"
    with pytest.raises(
        ProviderError, match="ENGINE_FALLBACK_PROVIDER is 'openai'; expected one of"
    ):
        provider_for("gpt-4o")


def test_the_provider_is_reused_until_the_settings_change(chat_model, settings):
    first = provider_for(chat_model)
    assert provider_for(chat_model) is first  # pooled connections survive between runs
    settings.ENGINE_CHAT_TIMEOUT = 7.0
    second = provider_for(chat_model)
    assert second is not first
    assert second.timeout == 7.0


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
        "from engine.providers import provider_for; p = provider_for('gpt-4o-mini'); "
        "print(json.dumps([p.base_url, p.api_key, p.configured_models, p.azure_api_version,"
        " p.timeout, s.ENGINE_FALLBACK_PROVIDER]))"
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
