"""A model nobody serves is refused when it is named (assistant create and update, run create,
createAndRun) with the API's 400 model_not_found, when the setting says refuse; not accepted
first and failed later. With the setting on demo such names are still taken."""

from __future__ import annotations

import openai
import pytest

from engine.models import Assistant, RoutingSettings, Run, Thread

MISSING = "The model 'gpt-nope' does not exist or you do not have access to it."


@pytest.fixture
def refusing(chat_model, settings):
    settings.ENGINE_FALLBACK_PROVIDER = "auto"
    RoutingSettings.objects.update_or_create(pk=1, defaults={"unknown_models": "refuse"})
    return chat_model


def refused(caught) -> None:
    error = caught.value
    assert error.status_code == 400
    assert error.code == "model_not_found" and error.param == "model"
    assert error.body["message"] == MISSING


def test_assistant_create_and_update_refuse_an_unknown_model(openai_client, refusing):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.beta.assistants.create(model="gpt-nope")
    refused(caught)
    assert not Assistant.objects.exists()
    assistant = openai_client.beta.assistants.create(model=refusing)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.beta.assistants.update(assistant.id, model="gpt-nope")
    refused(caught)
    assert openai_client.beta.assistants.retrieve(assistant.id).model == refusing
    updated = openai_client.beta.assistants.update(assistant.id, model="demo", name="Still fine")
    assert updated.model == "demo" and updated.name == "Still fine"


def test_run_create_and_create_and_run_refuse_an_unknown_model(openai_client, refusing):
    assistant = openai_client.beta.assistants.create(model=refusing)
    thread = openai_client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.beta.threads.runs.create(
            thread.id, assistant_id=assistant.id, model="gpt-nope"
        )
    refused(caught)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.beta.threads.create_and_run(assistant_id=assistant.id, model="gpt-nope")
    refused(caught)
    assert not Run.objects.exists()
    assert Thread.objects.count() == 1  # createAndRun made no thread either


def test_an_assistant_whose_model_went_away_is_refused_at_run_create(openai_client, refusing):
    assistant = openai_client.beta.assistants.create(model=refusing)
    Assistant.objects.filter(pk=assistant.id).update(model="gpt-nope")
    thread = openai_client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    refused(caught)


def test_with_the_demo_setting_unknown_names_are_taken(openai_client, refusing):
    RoutingSettings.objects.filter(pk=1).update(unknown_models="demo")
    assistant = openai_client.beta.assistants.create(model="gpt-nope")
    run = openai_client.beta.threads.create_and_run(assistant_id=assistant.id)
    assert run.model == "gpt-nope" and run.status == "queued"
