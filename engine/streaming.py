"""Server-sent events for `stream: true`: the request follows the run through the database
(woken by engine.wakeup) and turns what changed into the API's events, in the order
endpoints.md gives. It never executes the run itself.

Events are derived from state, not from a log: whatever the worker wrote since the last look
becomes the missing events (a run seen already finished still yields in_progress, its steps,
its message with the text as deltas, and completed, in that order).
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.http import StreamingHttpResponse

from . import wakeup
from .api import ApiError
from .models import Message, Run, RunStep

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25  # fallback when a wake-up is lost; doubles while nothing changes
POLL_MAX_SECONDS = 2.0  # (hundreds of idle streams must not poll the database 4 times a second)
KEEPALIVE_SECONDS = 15.0
MAX_SECONDS = 3600.0
T = TypeVar("T")


def sse(event: str, data: Any) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"event: {event}\ndata: {text}\n\n".encode()


def done() -> bytes:
    return sse("done", "[DONE]")


def error_event(message: str, code: str = "server_error") -> bytes:
    # The SDK raises APIError on an `error` event carrying the API's envelope.
    return sse("error", ApiError(500, message, type="server_error", code=code).payload())


class TwoWayStream(StreamingHttpResponse):
    """A body that flows as it is made under both handlers.

    Django buffers a whole sync iterator under ASGI and a whole async one under WSGI, so this
    carries one of each: WSGI (runserver, the tests' live server) iterates `events`; ASGI
    (uvicorn) iterates `async_events()`, which waits on asyncio, not on a thread per stream."""

    def __init__(
        self,
        events: Iterable[bytes],
        async_events: Callable[[], AsyncIterator[bytes]] | None,
        content_type: str,
    ) -> None:
        super().__init__(events, content_type=content_type)
        self._sync_iterator = self._iterator
        self._async_events = async_events

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # Unless a middleware replaced the content, in which case Django's own way applies.
        if self._async_events is None or self._iterator is not self._sync_iterator:
            async for part in super().__aiter__():
                yield part
            return
        async for part in self._async_events():
            yield self.make_bytes(part)


class EventStream(TwoWayStream):
    """Server-sent events that flow as they are made under both handlers."""

    def __init__(
        self,
        events: Iterable[bytes],
        async_events: Callable[[], AsyncIterator[bytes]] | None = None,
    ) -> None:
        super().__init__(events, async_events, "text/event-stream; charset=utf-8")
        self["Cache-Control"] = "no-cache"
        self["X-Accel-Buffering"] = "no"  # no proxy buffering: deltas must flow


def response(
    events: Iterable[bytes], async_events: Callable[[], AsyncIterator[bytes]] | None = None
) -> StreamingHttpResponse:
    return EventStream(events, async_events)


class _DatabaseThreads:
    """The few threads that do every stream's database reads in a process (ASGI). Each keeps its
    connection between reads and closes it after LINGER_SECONDS without work (so a quiet
    process holds none, and a test database stays droppable)."""

    LINGER_SECONDS = 2.0

    def __init__(self, size: int) -> None:
        self.size = size
        self.jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def submit(self, function: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self.jobs.put((function, future))
        with self.lock:
            if len(self.threads) < self.size:
                thread = threading.Thread(
                    target=self._serve, name=f"engine-sse-db-{len(self.threads)}", daemon=True
                )
                thread.start()
                self.threads.append(thread)
        return future

    def _serve(self) -> None:
        timeout: float | None = self.LINGER_SECONDS
        while True:
            try:
                function, future = self.jobs.get(timeout=timeout)
            except queue.Empty:
                connections.close_all()
                timeout = None  # closed: sleep until there is work
                continue
            timeout = self.LINGER_SECONDS
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function())
            except BaseException as error:
                if isinstance(error, DatabaseError):
                    connections.close_all()  # a broken connection must not serve the next read
                future.set_exception(error)


_database_threads = _DatabaseThreads(getattr(settings, "ENGINE_STREAM_DB_THREADS", 4))


async def in_db_thread(function: Callable[[], T]) -> T:
    """Run a stream's database read on the shared threads, without blocking the event loop."""
    return await asyncio.wrap_future(_database_threads.submit(function))


def _as(payload: dict[str, Any], status: str) -> dict[str, Any]:
    return {**payload, "status": status}


@dataclass
class _StepSeen:
    done: bool = False
    message_opened: bool = False
    message_done: bool = False
    text_sent: int = 0
    calls_sent: dict[int, int] = field(default_factory=dict)  # index → characters of arguments


class RunFollower:
    """Emit a run's events from `claims_before` (the claim count when the stream began)."""

    def __init__(self, run: Run, *, known_steps: Iterable[str] = ()) -> None:
        self.run_id = run.pk
        self.claims_before = run.claims
        self.in_progress_sent = False
        self.final_sent: str | None = None
        self.cancelling_sent = False
        self.steps: dict[str, _StepSeen] = {
            step_id: _StepSeen(done=True) for step_id in known_steps
        }

    def look(self) -> tuple[bytes, bool]:
        """One look at the database: the events owed since the last look, and whether the
        stream is over."""
        run = Run.objects.filter(pk=self.run_id).first()
        if run is None:
            return error_event(f"The run {self.run_id} was deleted.", code="not_found"), True
        run.expire_if_due()
        return b"".join(self.changes(run)), bool(self.final_sent)

    def broken(self) -> bytes:
        """The end of a stream that failed (logged): an error event, then [DONE]."""
        logger.exception("Stream of run %s failed", self.run_id)
        return error_event("The server had an error while streaming this run.") + done()

    def follow(self) -> Iterator[bytes]:
        """The events, for a thread (WSGI): sleeps on a threading.Event between looks."""
        event = wakeup.follow(self.run_id)
        pace = _Pace()
        try:
            while True:
                event.clear()
                chunks, over = self.look()
                out = pace.after(chunks, over)
                if out:
                    yield out
                if pace.over:
                    break
                if not event.wait(pace.poll):
                    pace.quiet()
            yield done()
        except Exception:
            yield self.broken()
        finally:
            wakeup.unfollow(self.run_id, event)
            close_old_connections()

    async def afollow(self) -> AsyncIterator[bytes]:
        """The events, for the event loop (ASGI): waits on asyncio between looks, and looks on
        the shared database pool."""
        pace = _Pace()
        try:
            async with wakeup.watching(self.run_id) as watch:
                while True:
                    chunks, over = await in_db_thread(self.look)
                    out = pace.after(chunks, over)
                    if out:
                        yield out
                    if pace.over:
                        break
                    if not await watch.wait(pace.poll):
                        pace.quiet()
            yield done()
        except Exception:
            yield self.broken()

    def changes(self, run: Run) -> Iterator[bytes]:
        payload = run.to_api()
        if not self.in_progress_sent and run.claims > self.claims_before:
            self.in_progress_sent = True
            yield sse("thread.run.in_progress", _as(payload, Run.IN_PROGRESS))
        if self.in_progress_sent:
            yield from self.step_changes(run)
        status = run.status
        if status == Run.CANCELLING and not self.cancelling_sent:
            self.cancelling_sent = True
            yield sse("thread.run.cancelling", payload)
        if status == Run.REQUIRES_ACTION and run.claims > self.claims_before:
            self.final_sent = status
            yield sse("thread.run.requires_action", payload)
        elif status in Run.TERMINAL:
            self.final_sent = status
            yield sse(f"thread.run.{status}", payload)

    def step_changes(self, run: Run) -> Iterator[bytes]:
        steps = list(RunStep.objects.filter(run_id=run.pk).order_by("created_at", "id"))
        pending = [s for s in steps if not self.steps.get(s.id, _StepSeen()).done]
        message_ids = [
            s.step_details["message_creation"]["message_id"]
            for s in pending
            if s.type == RunStep.MESSAGE_CREATION
        ]
        messages = {m.id: m for m in Message.objects.filter(pk__in=message_ids)}
        for step in pending:
            seen = self.steps.get(step.id)
            snapshot = step.to_api()
            if seen is None:
                seen = self.steps[step.id] = _StepSeen()
                opening = _as(snapshot, RunStep.IN_PROGRESS) | {"usage": None}
                if step.type == RunStep.TOOL_CALLS:
                    opening["step_details"] = {"type": "tool_calls", "tool_calls": []}
                for name in ("completed_at", "failed_at", "cancelled_at", "expired_at"):
                    opening[name] = None
                yield sse("thread.run.step.created", opening)
                yield sse("thread.run.step.in_progress", opening)
            if step.type == RunStep.MESSAGE_CREATION:
                message = messages.get(step.step_details["message_creation"]["message_id"])
                if message is not None:
                    yield from self.message_changes(message, seen)
            else:
                yield from self.tool_call_changes(step, seen)
            if step.status != RunStep.IN_PROGRESS:
                seen.done = True
                yield sse(f"thread.run.step.{step.status}", snapshot)

    def message_changes(self, message: Message, seen: _StepSeen) -> Iterator[bytes]:
        payload = message.to_api()
        if not seen.message_opened:
            seen.message_opened = True
            opening = _as(payload, Message.IN_PROGRESS) | {
                "content": [],
                "completed_at": None,
                "incomplete_at": None,
                "incomplete_details": None,
            }
            yield sse("thread.message.created", opening)
            yield sse("thread.message.in_progress", opening)
        text = message.text
        if len(text) > seen.text_sent:
            value: dict[str, Any] = {"value": text[seen.text_sent :]}
            if seen.text_sent == 0:
                value["annotations"] = []
            seen.text_sent = len(text)
            delta = {"content": [{"index": 0, "type": "text", "text": value}]}
            yield sse(
                "thread.message.delta",
                {"id": message.id, "object": "thread.message.delta", "delta": delta},
            )
        if message.status != Message.IN_PROGRESS and not seen.message_done:
            seen.message_done = True
            yield sse(f"thread.message.{message.status}", payload)

    def tool_call_changes(self, step: RunStep, seen: _StepSeen) -> Iterator[bytes]:
        # The public shape (file_search results without their text, as the API streams them).
        public = step.to_api()["step_details"]
        for index, call in enumerate(public.get("tool_calls", [])):
            if call.get("type", "function") != "function":
                yield from self.builtin_call_changes(step, index, call, seen)
                continue
            function = call.get("function", {})
            arguments = function.get("arguments", "")
            if index not in seen.calls_sent:
                piece: dict[str, Any] = {
                    "index": index,
                    "id": call["id"],
                    "type": call.get("type", "function"),
                    "function": {
                        "name": function.get("name", ""),
                        "arguments": arguments,
                        "output": None,
                    },
                }
            elif len(arguments) > seen.calls_sent[index]:
                piece = {
                    "index": index,
                    "type": "function",
                    "function": {"arguments": arguments[seen.calls_sent[index] :]},
                }
            else:
                continue
            seen.calls_sent[index] = len(arguments)
            delta = {"step_details": {"type": "tool_calls", "tool_calls": [piece]}}
            yield sse(
                "thread.run.step.delta",
                {"id": step.id, "object": "thread.run.step.delta", "delta": delta},
            )

    def builtin_call_changes(
        self, step: RunStep, index: int, call: dict[str, Any], seen: _StepSeen
    ) -> Iterator[bytes]:
        """file_search / code_interpreter calls (engine.files.tools): the call as it opens,
        then its results or outputs once, when the engine has them."""
        kind = call["type"]
        details = call.get(kind) or {}
        produced = [k for k in ("results", "outputs") if details.get(k)]
        sent = seen.calls_sent.get(index)
        if sent is None:
            piece: dict[str, Any] = {"index": index, "id": call["id"], "type": kind, kind: details}
        elif sent == 0 and produced:
            piece = {"index": index, "type": kind, kind: {k: details[k] for k in produced}}
        else:
            return
        seen.calls_sent[index] = 1 if produced else 0
        delta = {"step_details": {"type": "tool_calls", "tool_calls": [piece]}}
        yield sse(
            "thread.run.step.delta",
            {"id": step.id, "object": "thread.run.step.delta", "delta": delta},
        )


class _Pace:
    """When a stream ends, sends a keep-alive, and polls (the fallback for a lost wake-up)."""

    def __init__(self) -> None:
        self.started = self.last_output = time.monotonic()
        self.poll = POLL_SECONDS
        self.over = False

    def after(self, chunks: bytes, over: bool) -> bytes:
        now = time.monotonic()
        if chunks:
            self.last_output, self.poll = now, POLL_SECONDS
        if over:
            self.over = True
        elif now - self.started > MAX_SECONDS:
            self.over = True
            chunks += error_event("The stream lasted too long; poll the run instead.")
        elif now - self.last_output > KEEPALIVE_SECONDS:
            self.last_output = now
            chunks += b": keep-alive\n\n"
        return chunks

    def quiet(self) -> None:
        self.poll = min(self.poll * 2, POLL_MAX_SECONDS)


def run_stream(
    run: Run, *, prelude: Iterable[bytes] = (), known_steps: Iterable[str] = ()
) -> StreamingHttpResponse:
    """The SSE response for a run just created or just given its tool outputs."""
    follower = RunFollower(run, known_steps=known_steps)
    first = b"".join(prelude)

    def events() -> Iterator[bytes]:
        yield first
        yield from follower.follow()

    async def async_events() -> AsyncIterator[bytes]:
        yield first
        async for part in follower.afollow():
            yield part

    return response(events(), async_events)
