from __future__ import annotations

from functools import cached_property

from ._base import AsyncBaseClient, BaseClient
from .resources import Assistants, Files, Models, Threads, VectorStores
from .resources.threads import AsyncThreads


class AssistantsClient(BaseClient):
    """A client for any Assistants API v2 backend, shaped like the official SDK's `client.beta`.

        client = AssistantsClient(base_url="http://127.0.0.1:8000/v1", api_key="sk-…")
        assistant = client.assistants.create(model="demo", name="Helper")
        thread = client.threads.create(messages=[{"role": "user", "content": "Hi"}])
        run = client.threads.runs.create_and_poll(thread.id, assistant_id=assistant.id)

    Keyword arguments: `base_url`, `api_key`, `organization`, `project`, `timeout` (seconds or
    an `httpx.Timeout`; default 60 s, 5 s to connect), `max_retries` (default 2),
    `http_client` (an `httpx.Client` to share; it is then not closed by `close()`),
    `azure=True` with `api_version` for Azure-style backends (`api-key` header and
    `api-version` query parameter), `default_headers`, `max_retry_wait` (longest
    Retry-After honoured, 20 s). Each resource is made on first use.
    """

    assistants = cached_property(Assistants)
    threads = cached_property(Threads)
    files = cached_property(Files)
    vector_stores = cached_property(VectorStores)
    models = cached_property(Models)


class AsyncAssistantsClient(AsyncBaseClient):
    """The client for views that stream under ASGI: the same constructor, requests, retry
    policy and types as `AssistantsClient`, awaited, over an `httpx.AsyncClient`. It covers
    the run calls that stream or follow a stream (`threads.runs.create`,
    `submit_tool_outputs`, `retrieve`, `cancel`); everything else stays on the sync client.

        async with AsyncAssistantsClient(base_url=…, api_key=…) as client:
            stream = await client.threads.runs.create(thread_id, assistant_id=…, stream=True)
            async for event in stream: …
    """

    threads = cached_property(AsyncThreads)
