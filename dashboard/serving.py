"""Helpers for serving requests under ASGI (gunicorn with uvicorn workers, dashboard/asgi.py):
the threads that run their sync code, and long-lived responses."""

from __future__ import annotations

import queue
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from django.db import connections
from django.http import FileResponse, StreamingHttpResponse

T = TypeVar("T")


class ThreadPool:
    """Threads that run requests' sync code, reused from one request to the next.

    A thread is started whenever none is idle, so there is no fixed number to run out of (a page
    calling /v1 on its own server over loopback waits for another thread, never for itself).
    Up to `keep` idle threads stay, the most recently idle reused first, so a steady load is
    served by a few warm threads, each keeping its database connections (CONN_MAX_AGE) as a
    WSGI server's threads do; the others, and one idle for `idle_seconds`, close their
    connections and end (a burst of requests leaves no crowd of threads behind)."""

    def __init__(self, name: str, *, keep: int = 6, idle_seconds: float = 60.0) -> None:
        self.name, self.keep, self.idle_seconds = name, keep, idle_seconds
        self.idle: list[_PoolThread] = []
        self.lock = threading.Lock()
        self.started = 0

    def submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self.lock:
            thread = self.idle.pop() if self.idle else None
            if thread is None:
                self.started += 1
                thread = _PoolThread(self, f"{self.name}-{self.started}")
        thread.jobs.put((function, args, future))
        return future

    def went_idle(self, thread: _PoolThread) -> bool:
        """Whether `thread`, done with its job, stays for the next one."""
        with self.lock:
            if len(self.idle) >= self.keep:
                return False
            self.idle.append(thread)
            return True

    def retire(self, thread: _PoolThread) -> bool:
        """Whether `thread`, idle too long, may end: not if a job was just handed to it."""
        with self.lock:
            if thread in self.idle:
                self.idle.remove(thread)
                return True
            return False


class _PoolThread(threading.Thread):
    def __init__(self, pool: ThreadPool, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.pool = pool
        self.jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], Future[Any]]]
        self.jobs = queue.SimpleQueue()
        self.start()

    def run(self) -> None:
        staying = True
        while staying:
            try:
                job = self.jobs.get(timeout=self.pool.idle_seconds)
            except queue.Empty:
                if self.pool.retire(self):
                    break
                continue  # handed a job just now: it is on its way
            staying = self._do(*job)
            del job  # nothing of a request outlives it here
        connections.close_all()

    def _do(self, function: Callable[..., Any], args: tuple[Any, ...], future: Future[Any]) -> bool:
        if not future.set_running_or_notify_cancel():
            return self.pool.went_idle(self)
        try:
            result, error = function(*args), None
        except BaseException as raised:
            result, error = None, raised
        # Idle before answering: whatever the answer lets go on may take this thread at once.
        staying = self.pool.went_idle(self)
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
        return staying


def _request_context() -> object | None:
    """This request's asgiref ThreadSensitiveContext (dashboard/asgi.py enters one), or None
    outside ASGI or if asgiref changes its internals."""
    variable = getattr(SyncToAsync, "thread_sensitive_context", None)
    return variable.get(None) if variable is not None else None


def request_thread_started() -> bool:
    """Whether this request ran sync code thread-sensitively (a streamed sync iterator does),
    so the thread asgiref started for it must also close the response. True when unknown."""
    contexts = getattr(SyncToAsync, "context_to_thread_executor", None)
    context = _request_context()
    return contexts is None or context is None or context in contexts


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
        parts = self.streaming_content  # type: ignore[attr-defined]  # a middleware's too
        step = sync_to_async(next)  # thread-sensitive: one thread, in order with close()
        while (part := await step(parts, _END)) is not _END:
            yield part


class ChunkStream(_EitherHandler, StreamingHttpResponse):
    """A StreamingHttpResponse of a sync chunk iterator that never buffers under ASGI."""


class FileStream(_EitherHandler, FileResponse):
    """A FileResponse (a file read in block_size pieces) that never buffers under ASGI."""
