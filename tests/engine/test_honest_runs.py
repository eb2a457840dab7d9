"""Runs on a real model's provider say what happened: an unreachable provider fails the run
(never another model answering), the prompt cap holds by the server's own count, the
completion cap spans the whole run, and usage is the server's count or says it is a guess."""

from __future__ import annotations

import pytest

from engine.models import ModelProvider
from engine.providers import provider_for, refresh, route, tokens
from engine.providers.base import ProviderError
from tests.fakes.chat_server import Fail, FakeChatServer, Reply, char_tokenizer

DIGITS = "1234567890" * 90  # 900 digits: 225 tokens at four characters a token


@pytest.fixture(autouse=True)
def _forget_learned_counts():
    tokens.forget()
    yield
    tokens.forget()


def route_to(settings, server: FakeChatServer, models: list[str] | None = None) -> None:
    settings.ENGINE_CHAT_BASE_URL = server.base_url
    settings.ENGINE_CHAT_API_KEY = "sk-test-not-a-real-key"
    settings.ENGINE_CHAT_MODELS = ["fake-model"] if models is None else models
    settings.ENGINE_CHAT_AZURE_API_VERSION = ""
    settings.ENGINE_CHAT_TIMEOUT = 2.0
    settings.ENGINE_CHAT_MAX_RETRIES = 0
    settings.ENGINE_FALLBACK_PROVIDER = "demo"


@pytest.fixture
def counting_server(settings):
    """A model server that counts tokens as real ones do (digits one each) and tokenizes."""
    with FakeChatServer(models=["fake-model"], tokenizer=char_tokenizer()) as server:
        route_to(settings, server)
        yield server


def run_on(client, text: str | list[str], **options):
    assistant = client.beta.assistants.create(model="fake-model", instructions="Be brief.")
    texts = [text] if isinstance(text, str) else text
    return client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": t} for t in texts]},
        poll_interval_ms=20,
        **options,
    )


# -- an unreachable provider fails the run ------------------------------------------------------


def test_a_provider_whose_model_list_is_down_fails_the_run_in_words(
    openai_client, engine_worker, chat_server, settings
):
    route_to(settings, chat_server, models=[])  # models discovered from /models
    chat_server.models_fail = Fail(503, "loading model")
    run = run_on(openai_client, "Hello")
    assert run.status == "failed"
    assert run.last_error.code == "server_error"
    assert "Could not list the models of the model server at 127.0.0.1 (HTTP 503)" in (
        run.last_error.message
    )
    messages = openai_client.beta.threads.messages.list(run.thread_id).data
    assert [m.role for m in messages] == ["user"]  # nobody answered in the model's name
    assert chat_server.chat_requests == []


def test_an_outage_after_a_listing_keeps_the_model_on_its_provider(db, chat_server, settings):
    route_to(settings, chat_server, models=[])
    assert route("fake-model").provider_name == "environment"
    chat_server.models_fail = Fail(500)
    refresh(ModelProvider.objects.get())  # the listing is due again, during the outage
    assert route("fake-model").provider_name == "environment"
    assert ModelProvider.objects.get().list_error.startswith("Could not list the models")


def test_a_model_server_that_is_gone_fails_the_run(openai_client, engine_worker, settings):
    server = FakeChatServer(models=["fake-model"])
    route_to(settings, server.__enter__(), models=[])
    server.stop()
    run = run_on(openai_client, "Hello")
    assert run.status == "failed" and run.last_error.code == "server_error"
    assert "(no connection)" in run.last_error.message


def test_an_unreachable_provider_refuses_every_model_but_the_demo(db, chat_server, settings):
    route_to(settings, chat_server, models=[])
    chat_server.models_fail = Fail(502)
    with pytest.raises(ProviderError) as caught:
        provider_for("gpt-4o")  # it may serve it: nobody can tell while it is down
    assert caught.value.code == "server_error"
    assert provider_for("demo").name == "demo"


# -- max_prompt_tokens by the server's count ----------------------------------------------------


def test_digits_over_the_prompt_cap_end_incomplete_without_a_request(
    openai_client, engine_worker, counting_server
):
    run = run_on(openai_client, DIGITS, max_prompt_tokens=256)
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_prompt_tokens"
    assert counting_server.chat_requests == []


def test_the_prompt_cap_holds_by_the_servers_count(openai_client, engine_worker, counting_server):
    run = run_on(openai_client, [DIGITS[:200], "Ελάτε, τι κάνετε σήμερα;", "def f(x): return x"],
                 max_prompt_tokens=256)  # fmt: skip
    assert run.status == "completed"
    [sent] = counting_server.chat_requests
    assert run.usage.prompt_tokens <= 256  # the server's own count, reported back
    contents = [m["content"] for m in sent.body["messages"]]
    assert contents[-1] == "def f(x): return x" and DIGITS[:200] not in contents
    assert any(r.path == "/tokenize" for r in counting_server.requests)


def test_without_tokenize_the_engine_learns_from_reported_counts(
    openai_client, engine_worker, chat_server, settings
):
    route_to(settings, chat_server)
    # A server counting three times what the engine guessed (an unusual tokenizer).
    chat_server.script(Reply(text="ok", usage={"prompt_tokens": 480, "completion_tokens": 1}))
    first = run_on(openai_client, "word " * 150, max_prompt_tokens=500)
    assert first.status == "completed"
    thread = first.thread_id
    openai_client.beta.threads.messages.create(thread, role="user", content="and now?")
    assistant = openai_client.beta.assistants.list(limit=1).data[0]
    second = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread, assistant_id=assistant.id, max_prompt_tokens=500, poll_interval_ms=20
    )
    assert second.status == "completed"
    contents = [m["content"] for m in chat_server.chat_requests[-1].body["messages"]]
    assert "word " * 150 not in contents  # dropped: by the server's measure it no longer fits
    assert contents[-1] == "and now?"


# -- max_completion_tokens spans the run --------------------------------------------------------

LOOKUP = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


def call_then_answer(client, server, spent: int):
    server.script(
        Reply(tool_calls=[{"name": "lookup", "arguments": {}}],
              usage={"prompt_tokens": 10, "completion_tokens": spent}),
        Reply(text="Done.", usage={"prompt_tokens": 20, "completion_tokens": 5}),
    )  # fmt: skip
    assistant = client.beta.assistants.create(model="fake-model", tools=[LOOKUP])
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Look it up"}]},
        max_completion_tokens=300,
        poll_interval_ms=20,
    )
    assert run.status == "requires_action"
    [call] = run.required_action.submit_tool_outputs.tool_calls
    return client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=run.thread_id,
        tool_outputs=[{"tool_call_id": call.id, "output": "42"}],
        poll_interval_ms=20,
    )


def test_the_completion_cap_spans_the_calls_of_a_run(openai_client, engine_worker, chat_model,
                                                      chat_server):  # fmt: skip
    run = call_then_answer(openai_client, chat_server, spent=200)
    assert run.status == "completed"
    assert [r.body["max_completion_tokens"] for r in chat_server.chat_requests] == [300, 100]
    assert run.usage.completion_tokens == 205


def test_a_run_that_spent_its_completion_cap_ends_incomplete(openai_client, engine_worker,
                                                             chat_model, chat_server):  # fmt: skip
    run = call_then_answer(openai_client, chat_server, spent=300)
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_completion_tokens"
    assert len(chat_server.chat_requests) == 1


# -- usage: the server's count, or a guess that says so ------------------------------------------


def test_usage_is_the_servers_count(openai_client, engine_worker, chat_model, chat_server):
    chat_server.script(Reply(text="Hi", usage={"prompt_tokens": 17, "completion_tokens": 3}))
    run = run_on(openai_client, "Hello")
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (17, 3)
    assert "estimated" not in (run.usage.model_extra or {})


def test_a_guessed_usage_is_marked(openai_client, engine_worker, chat_model, chat_server):
    chat_server.script(Reply(text="Hi there", send_usage=False))
    run = run_on(openai_client, "Hello")
    assert run.status == "completed" and run.usage.completion_tokens > 0
    assert run.usage.model_extra["estimated"] is True
    [step] = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    assert step.usage.model_extra["estimated"] is True


def test_a_refused_connection_costs_no_tokens(openai_client, engine_worker, chat_model,
                                              chat_server):  # fmt: skip
    chat_server.stop()
    run = run_on(openai_client, "Hello " * 100)
    assert run.status == "failed"
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (0, 0)
    assert "estimated" not in (run.usage.model_extra or {})
