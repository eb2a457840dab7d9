"""Each kind of provider against a local server speaking its protocol: where models are
listed, where chats go, which headers and query carry the key and the API version, and who
is asked to count tokens."""

from __future__ import annotations

import pytest

from engine.models import ModelProvider
from engine.providers import instance, refresh, route
from engine.providers.base import ChatMessage, ChatRequest
from tests.fakes.chat_server import FakeChatServer, char_tokenizer

from .streams import assemble

pytestmark = pytest.mark.django_db
KEY = "sk-kind-test-0123456789"


@pytest.fixture
def server():
    with FakeChatServer(models=["m1", "m2"], tokenizer=char_tokenizer()) as server:
        yield server


def make(server: FakeChatServer, kind: str, **fields) -> ModelProvider:
    fields.setdefault("base_url", server.base_url)
    record = ModelProvider.objects.create(name=kind, kind=kind, **fields)
    refresh(record)
    return record


def chat(model: str) -> str:
    served = route(model)
    request = ChatRequest(model=served.model, messages=[ChatMessage("user", "Hi")])
    return assemble(served.provider.stream(request)).text


def paths(server: FakeChatServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in server.requests]


def test_openai(server):
    make(server, "openai", api_key=KEY)
    assert chat("m1") == "Echo: Hi"
    assert paths(server) == [("GET", "/v1/models"), ("POST", "/v1/chat/completions")]
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {KEY}"}
    assert instance(ModelProvider.objects.get()).count_tokens("m1", "123") is None


def test_azure_openai(server):
    root = server.base_url.removesuffix("/v1")
    make(server, "azure", base_url=root, api_key=KEY, api_version="2024-10-21", discover=False)
    record = ModelProvider.objects.get()
    assert not record.offered.exists() and server.requests == []  # deployments are typed
    record.offered.create(name="gpt-4o-prod", model_id="gpt-4o-prod")
    assert chat("gpt-4o-prod") == "Echo: Hi"
    [sent] = server.requests
    assert sent.path == "/openai/deployments/gpt-4o-prod/chat/completions"
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == KEY and "authorization" not in sent.headers


def test_ollama(server):
    server.flavour = "ollama"
    make(server, "ollama")
    assert chat("m2") == "Echo: Hi"
    assert paths(server) == [("GET", "/api/tags"), ("POST", "/v1/chat/completions")]
    assert all("authorization" not in r.headers for r in server.requests)  # no key, none sent


@pytest.mark.parametrize("kind", ["vllm", "llamacpp"])
def test_servers_that_tokenize(server, kind):
    make(server, kind)
    assert chat("m1") == "Echo: Hi"
    assert instance(ModelProvider.objects.get()).count_tokens("m1", "12345 abcdefgh") == 7
    [tokenize] = [r for r in server.requests if r.path == "/tokenize"]
    assert tokenize.body["model"] == "m1"
    assert tokenize.body["content"] == tokenize.body["prompt"] == "12345 abcdefgh"


def test_lm_studio(server):
    make(server, "lmstudio")
    assert chat("m2") == "Echo: Hi"
    assert paths(server) == [("GET", "/v1/models"), ("POST", "/v1/chat/completions")]


def test_any_openai_compatible_server_gets_the_extra_headers(server):
    make(server, "openai-compatible", api_key=KEY, extra_headers={"X-Tenant": "blue"})
    assert chat("m1") == "Echo: Hi"
    assert [r.headers["x-tenant"] for r in server.requests] == ["blue", "blue"]


def test_a_server_without_tokenize_is_not_asked_twice(server):
    server.tokenizer = None
    make(server, "openai-compatible")
    provider = instance(ModelProvider.objects.get())
    assert provider.count_tokens("m1", "x") is None
    assert provider.count_tokens("m1", "x") is None
    assert [r.path for r in server.requests].count("/tokenize") == 1


def test_the_key_is_encrypted_at_rest(server):
    from django.db import connection

    make(server, "openai", api_key=KEY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM engine_modelprovider")
        [(stored,)] = cursor.fetchall()
    assert KEY not in stored and ModelProvider.objects.get().api_key == KEY
