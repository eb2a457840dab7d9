"""The builder's and the composer's model pickers offer the engine's enabled models with the
name of the provider that serves each (/v1/models' owned_by), and leave hidden ones out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engine.models import ModelProvider, ProviderModel

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(settings, engine):
    settings.ENGINE_CHAT_BASE_URL = ""
    provider = ModelProvider.objects.create(
        name="Team vLLM", kind="vllm", base_url="http://127.0.0.1:9/v1", discover=False
    )
    ProviderModel.objects.create(provider=provider, name="qwen2.5", model_id="qwen2.5")
    ProviderModel.objects.create(
        provider=provider, name="secret-model", model_id="secret-model", enabled=False
    )
    return provider


def test_owned_by_names_the_provider(api, served):
    owners = {model.id: model.owned_by for model in api.models.list().data}
    assert owners["qwen2.5"] == "Team vLLM"
    assert "secret-model" not in owners


def test_the_builder_offers_models_with_their_provider(client, owner, served):
    client.force_login(owner)
    page = client.get(reverse("assistant_create")).content.decode()
    choices = page.split('<datalist id="model-choices">', 1)[1].split("</datalist>", 1)[0]
    assert '<option value="qwen2.5">qwen2.5 — Team vLLM</option>' in choices
    assert '<option value="demo"></option>' in choices  # the demo keeps its bare name
    assert "secret-model" not in choices


def test_the_composer_offers_models_with_their_provider(client, owner, served, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    html = client.get(thread.get_absolute_url()).content.decode()
    picker = html.split('<select name="model"', 1)[1].split("</select>", 1)[0]
    assert '<option value="qwen2.5">qwen2.5 — Team vLLM</option>' in picker
    assert "secret-model" not in picker
