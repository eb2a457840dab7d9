"""Hybrid search: with a chat provider that offers /embeddings (the local fake server, given an
embedder), chunks and queries are embedded and chunks close in meaning are found even without
a shared word; without the endpoint, search stays lexical and ingestion still works."""

from __future__ import annotations

import pytest

from engine.files import embeddings
from tests.fakes.chat_server import FakeChatServer, word_embedder

from .conftest import wait_for_files

SYNONYMS = {"automobile": "car", "vehicle": "car", "tyres": "wheel", "tires": "wheel"}


@pytest.fixture
def embedding_server(settings):
    server = FakeChatServer(models=["fake-model"], embedder=word_embedder(SYNONYMS))
    server.start()
    settings.ENGINE_CHAT_BASE_URL = server.base_url
    settings.ENGINE_CHAT_API_KEY = "sk-test-embeddings"
    settings.ENGINE_EMBEDDINGS = "auto"
    settings.ENGINE_EMBEDDING_MODEL = "fake-embedding"
    embeddings.forget_failures()
    yield server
    server.stop()


def _store(openai_client, upload, texts):
    ids = [upload(f"doc{i}.txt", text.encode()).id for i, text in enumerate(texts)]
    store = openai_client.vector_stores.create(name="hybrid", file_ids=ids)
    wait_for_files(openai_client, store.id)
    return store, ids


def test_meaning_without_shared_words(
    openai_client, upload, engine_worker, embedding_server, settings
):
    store, ids = _store(
        openai_client,
        upload,
        ["The automobile needs new tyres before winter.", "Bananas are rich in potassium."],
    )
    calls = [r for r in embedding_server.requests if r.path.endswith("/embeddings")]
    assert calls and calls[0].body["model"] == "fake-embedding"
    assert calls[0].headers["authorization"] == "Bearer sk-test-embeddings"
    found = openai_client.vector_stores.search(store.id, query="car wheels")
    assert [r.file_id for r in found.data] == [ids[0]]
    assert 0 < found.data[0].score < 1
    settings.ENGINE_EMBEDDINGS = "off"  # lexical only: no word in common, nothing found
    assert openai_client.vector_stores.search(store.id, query="car wheels").data == []


def test_words_still_count_in_hybrid_scores(openai_client, upload, engine_worker, embedding_server):
    store, ids = _store(
        openai_client,
        upload,
        ["Potassium keeps muscles working.", "Bananas are rich in potassium and sugar."],
    )
    found = openai_client.vector_stores.search(store.id, query="bananas potassium")
    assert found.data[0].file_id == ids[1]


def test_without_an_embeddings_endpoint_search_is_lexical(
    openai_client, upload, engine_worker, chat_server, chat_model, settings
):
    settings.ENGINE_EMBEDDINGS = "auto"
    embeddings.forget_failures()
    store, ids = _store(openai_client, upload, ["Owls hunt at night."])
    assert any(r.path.endswith("/embeddings") for r in chat_server.requests)  # asked, got 404
    found = openai_client.vector_stores.search(store.id, query="owls")
    assert [r.file_id for r in found.data] == [ids[0]]
