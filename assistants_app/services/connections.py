"""`client_for(connection)`: the client for a stored `Connection` (built-in engine or other)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings

from ._base import DEFAULT_TIMEOUT
from ._client import AssistantsClient, AsyncAssistantsClient

if TYPE_CHECKING:
    from assistants_app.models import Connection

_shared: httpx.Client | None = None
_shared_lock = threading.Lock()


def shared_http_client() -> httpx.Client:
    """One pooled httpx client per process, so page views reuse connections to backends."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = httpx.Client(
                timeout=DEFAULT_TIMEOUT,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            )
        return _shared


def client_for(connection: Connection, **overrides: Any) -> AssistantsClient:
    """An `AssistantsClient` speaking to this connection's backend.

    The built-in engine is reached at settings.ENGINE_BASE_URL with the engine's own dashboard
    key (the one engine import the dashboard makes: the engine stays behind HTTP). Azure
    connections send `api-key` and `api-version`. `overrides` go to the client (timeout…).
    """
    options: dict[str, Any] = {"http_client": shared_http_client(), **overrides}
    return AssistantsClient(**_client_kwargs(connection), **options)


def async_client_for(connection: Connection, **overrides: Any) -> AsyncAssistantsClient:
    """`client_for` for async code: an `AsyncAssistantsClient` on a pool shared by the
    event loop it is called from (an httpx.AsyncClient belongs to one loop)."""
    options: dict[str, Any] = {"http_client": _loop_http_client(), **overrides}
    return AsyncAssistantsClient(**_client_kwargs(connection), **options)


_loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _loop_http_client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _loop_clients.get(loop)
    if client is None:
        client = _loop_clients[loop] = httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
        )
    return client


def _client_kwargs(connection: Connection) -> dict[str, Any]:
    if connection.is_builtin:
        from engine.auth import dashboard_key  # lazily: the engine may be absent in a process

        return {"base_url": settings.ENGINE_BASE_URL, "api_key": dashboard_key()}
    common = {"base_url": connection.base_url, "api_key": connection.api_key or ""}
    if connection.kind == connection.Kind.AZURE:
        return {**common, "azure": True, "api_version": connection.api_version}
    return {
        **common,
        "organization": connection.organization or None,
        "project": connection.project or None,
    }
