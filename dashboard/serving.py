"""Helpers for serving long-lived responses under ASGI (gunicorn with uvicorn workers)."""

from __future__ import annotations

from django.db import connections


def release_request_thread() -> None:
    """Let go of this request's thread, from a streaming response's async iterator.

    Under ASGI, Django runs a request's sync code (middleware, a sync view) on a thread of its
    own and keeps that thread until the response ends: one idle thread per open stream. Once the
    stream has started, the view is done, so close the request's database connections on that
    thread and let it end now; asgiref starts a fresh one if the request's sync code runs again
    (closing the response does). Does nothing outside ASGI or if asgiref changes its internals.
    """
    from asgiref.sync import SyncToAsync

    contexts = getattr(SyncToAsync, "context_to_thread_executor", None)
    variable = getattr(SyncToAsync, "thread_sensitive_context", None)
    context = variable.get(None) if variable is not None else None
    if contexts is None or context is None:
        return
    executor = contexts.pop(context, None)
    if executor is not None:
        executor.submit(connections.close_all)
        executor.shutdown(wait=False)
