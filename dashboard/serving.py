"""Helpers for serving long-lived responses under ASGI (gunicorn with uvicorn workers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.db import connections
from django.http import FileResponse, StreamingHttpResponse


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


_END = object()


class _EitherHandler:
    """Streams a sync iterator chunk by chunk under both handlers.

    Django iterates `streaming_content` itself under WSGI, but under ASGI it reads a sync
    iterator whole into memory before sending a byte (StreamingHttpResponse.__aiter__). Here
    each chunk is read on the request's own sync thread as the client takes it, so memory holds
    one chunk and a slow reader holds no more than a blocked WSGI worker would. Iterators that
    touch the database keep working: the thread is the one the response is closed on."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.is_async:  # type: ignore[attr-defined]
            async for part in super().__aiter__():  # type: ignore[misc]
                yield part
            return
        # The view is done: its database connections go back now, not when the body ends.
        release_request_thread()
        parts = self.streaming_content  # type: ignore[attr-defined]  # a middleware's too
        step = sync_to_async(next)  # thread-sensitive: one thread, in order with close()
        while (part := await step(parts, _END)) is not _END:
            yield part


class ChunkStream(_EitherHandler, StreamingHttpResponse):
    """A StreamingHttpResponse of a sync chunk iterator that never buffers under ASGI."""


class FileStream(_EitherHandler, FileResponse):
    """A FileResponse (a file read in block_size pieces) that never buffers under ASGI."""
