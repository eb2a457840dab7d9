"""Fixtures for files, vector stores and the code interpreter: uploads go to a temporary
MEDIA_ROOT, and the sandbox's folders to a temporary directory shared by the session (its
matplotlib font cache is built once)."""

from __future__ import annotations

import io

import pytest


@pytest.fixture(autouse=True)
def _file_storage(isolated_file_storage):
    pass


@pytest.fixture
def upload(openai_client):
    """Upload bytes as a file (purpose "assistants") through the SDK; returns the FileObject."""

    def send(name: str, data: bytes, purpose: str = "assistants"):
        return openai_client.files.create(file=(name, io.BytesIO(data)), purpose=purpose)

    return send


def wait_for_files(client, store_id: str) -> list:
    """Poll the store's files until none is in progress (the SDK's own poller per file)."""
    done = []
    for entry in client.vector_stores.files.list(vector_store_id=store_id, limit=100):
        done.append(
            client.vector_stores.files.poll(entry.id, vector_store_id=store_id, max_wait_seconds=30)
        )
    return done


def searcher(client, store, *, model: str = "demo"):
    """An assistant with file_search over `store`."""
    return client.beta.assistants.create(
        model=model,
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )


@pytest.fixture
def engine_worker_factory(transactional_db):
    """Start the engine's worker later in a test (after queuing work it must then find)."""
    from engine.worker import start_in_thread

    started = []

    def start():
        started.append(start_in_thread(threads=2, poll=0.2))
        return started[-1][0]

    yield start
    for worker, thread in started:
        worker.stop()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the engine worker did not stop"
