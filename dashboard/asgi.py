"""The ASGI application (`make serve`: gunicorn with uvicorn workers, dashboard/gunicorn.conf.py).

Django's own ASGI handler runs a request's sync code on a thread it starts for that request
(asgiref's ThreadSensitiveContext), hopping there and back for the signals, the sync middleware
and the response's closing; and since database connections belong to a thread, every request
also opens a connection. Here the event loop only reads the body and sends the response: the
whole of a request's sync part (request_started, the middleware and the view, and closing a
response already in memory) runs in one go on a thread of a shared pool, as under WSGI. Threads
are reused, and so, with CONN_MAX_AGE, are their connections. A streamed response waits on the
event loop as before; one that reads a sync iterator thread-sensitively is closed on that thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

from dashboard.serving import ThreadPool, request_thread_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")


class PooledHandler(ASGIHandler):
    """Django's ASGIHandler with each request's sync code run on one pooled thread."""

    def __init__(self) -> None:
        # The sync middleware chain, as WSGI builds it: no adapting per middleware.
        self.load_middleware(is_async=False)
        self.threads = ThreadPool("request")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with ThreadSensitiveContext():  # only used by streamed sync iterators
            await self.handle(scope, receive, send)

    async def in_thread(self, function: Any, *args: Any) -> Any:
        return await asyncio.wrap_future(self.threads.submit(function, *args))

    def respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """The request's response, on a pooled thread; closed already unless it streams."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # the ASGI server chunks
        if not response.streaming:
            response.close()  # its body is in memory: request_finished here, on this thread
        else:  # the view is done: as at a request's end, give back what it should not keep
            close_old_connections()
        return response

    async def close(self, response: HttpResponseBase) -> None:
        if not response.streaming:
            return
        if request_thread_started():  # the thread its iterator ran on closes it
            await sync_to_async(response.close)()
        else:
            await self.in_thread(response.close)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        # Once a thread has taken the job, the view runs to its end whoever is listening.
        job = self.threads.submit(self.respond, scope, body_file)

        async def process_request() -> None:
            response = await asyncio.wrap_future(job)
            with contextlib.suppress(asyncio.CancelledError):  # the client went away
                await self.send_response(response, send)

        # As Django's handler: a client that disconnects cancels the response being sent.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request()),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if job.cancelled():  # gone before a thread took the request up
            await self.in_thread(signals.request_finished.send, self.__class__)
        else:  # finished on its thread when made; a streamed response is closed here
            await self.close(await asyncio.wrap_future(job))
        body_file.close()


def _application() -> PooledHandler:
    import django

    django.setup(set_prefix=False)
    return PooledHandler()


application = _application()
