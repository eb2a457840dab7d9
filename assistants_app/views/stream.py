"""Replies that stream into the page.

The Assistants API streams a run only from the request that creates it or submits its tool
outputs, so the dashboard streams from the same place: when stream.js posts the composer (or
the tool-call card) asking for `text/event-stream`, the view stores what was posted, answers
with the pane at once, then starts the run with `stream=True` and relays its events as page
updates (chat_stream.LiveReply), ending with the pane as it is afterwards. There is no
"start later" state to claim: one POST makes one run, a reload or a second tab finds the run
recorded and follows it by polling (run_status), and a dropped stream leaves the run going.

Events for stream.js (data is JSON): `pane` and `done` replace the conversation (a `pane`
with a `url` began a new chat: the page takes the thread's address), `status`
replaces the run-status element, `part` adds or replaces a step or message in the live turn,
`text` appends settled HTML to a message and replaces its tail, `fallback` swaps in the
polling status element (the stream broke; the run goes on).

Serving: Django buffers a StreamingHttpResponse whose iterator does not match the server (an
async iterator under WSGI, a sync one under ASGI; django/http/response.py consumes it whole
with a warning). So the same steps (`Turn`) are driven by a sync generator with the sync client
under WSGI (runserver, gunicorn), and by an async generator with `AsyncAssistantsClient` under
ASGI, where only the database and page renders around the stream go to a thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, StreamingHttpResponse
from django.template.loader import render_to_string

from .. import audit
from ..chat import PANE_FRAGMENT, STATUS_FRAGMENT, ChatPane, RunState, record_run, remember_run
from ..chat_stream import LiveReply, sse
from ..forms import ToolOutputsForm
from ..models import RunRecord, ThreadRecord
from ..services import (
    APIResponseValidationError,
    AssistantsClient,
    AssistantsError,
    async_client_for,
)
from ..services.types import AssistantStreamEvent, Run, RunEvent
from . import in_words

LIVE_STATUS = "threads/detail.html#live_status"
FINAL = frozenset({"requires_action", "completed", "failed", "cancelled", "expired", "incomplete"})

# How a turn reaches the backend: given a client (sync or async), open the run's stream.
Opener = Callable[[Any], Any]


def wants_stream(request: HttpRequest) -> bool:
    """stream.js asks for events; htmx and plain forms get the page or fragment as before."""
    return bool(request.htmx) and "text/event-stream" in request.headers.get("Accept", "")


@dataclass
class Turn:
    """One streamed run from the dashboard's side: what is recorded and shown around it.
    Each method returns the SSE bytes for the page; run events and the ends may use the
    database and the backend (the async driver calls them in a thread)."""

    request: HttpRequest
    thread: ThreadRecord
    client: AssistantsClient
    options: dict[str, Any] = field(default_factory=dict)
    record: RunRecord | None = None
    outputs: ToolOutputsForm | None = None  # the tool outputs this turn submits
    live: LiveReply = field(default_factory=LiveReply)
    run: Run | None = None
    over: bool = False
    started: bool = False  # the message began the thread (a new chat's first message)

    def pane(self, event: str = "done", *, state: RunState | None = None, **kwargs: Any) -> bytes:
        """The conversation as it is now (`state`: the run as the pane should show it)."""
        pane = ChatPane.of(self.request, self.thread, self.client, **kwargs)
        if state is not None:
            pane.run = state
        begun = self.started and event == "pane"
        context = pane.context(retitle=event == "pane", started=begun)
        data = {"html": render_to_string(PANE_FRAGMENT, context, self.request)}
        if begun:
            data["url"] = self.thread.get_absolute_url()
        return sse(event, data)

    def prelude(self) -> bytes:
        """The conversation with the message just sent (or the outputs being submitted)."""
        return self.pane("pane", streaming=True, live=self.state(None) if self.record else None)

    def state(self, run: Run | None) -> RunState:
        assert self.record is not None
        return RunState(self.record, self.thread.can_chat(self.request.user), run=run)

    def opened(self) -> bytes:
        """The backend accepted the request: the tool outputs are in, say who gave them."""
        if self.outputs is not None and self.record is not None:
            calls, given = self.outputs.tool_calls, self.outputs.outputs()
            self.record.record_outputs(calls, given, self.request.user)
            audit.tool_outputs_submitted(self.record, self.request.user, calls, given)
            self.thread.note_activity()
        return b""

    def on_event(self, event: AssistantStreamEvent) -> bytes:
        """What the page needs after one of the run's events (a run event also records it)."""
        if isinstance(event, RunEvent):
            return self.on_run(event.data)
        return self.live.feed(event)

    def on_run(self, run: Run) -> bytes:
        self.run = run
        if self.record is None:
            self.record = record_run(self.thread, self.request.user, run, self.options)
        else:
            remember_run(self.record, run)
        if run.status in FINAL:
            return self.live.flush() + self.finish()
        html = render_to_string(LIVE_STATUS, {"thread": self.thread, "state": self.state(run)})
        return sse("status", {"html": html})

    def finish(self) -> bytes:
        self.over = True
        self.thread.note_activity()
        return self.pane()

    def not_started(self, error: AssistantsError) -> bytes:
        """The backend refused the run (or the outputs): nothing is streaming."""
        run = _run_in(error)
        if run is not None:  # a backend that does not stream started the run all the same
            self.on_run(run)
            return self.fall_back()
        self.over = True
        if self.outputs is None:
            return self.pane(start_error=in_words(error))
        # Nothing typed is lost: the cards come back filled in, with the reason.
        state = self.state(self.run)
        state.tool_form, state.tool_error = self.outputs, in_words(error)
        return self.pane(state=state)

    def fall_back(self) -> bytes:
        """The stream broke off (or never was one): follow the run by polling instead."""
        self.over = True
        if self.record is None:
            return self.pane()
        state = self.state(self.run)
        if state.run is not None and state.run.status in FINAL:
            return self.finish()
        html = render_to_string(STATUS_FRAGMENT, {"thread": self.thread, "state": state})
        return self.live.flush() + sse("fallback", {"html": html})


def _run_in(error: AssistantsError) -> Run | None:
    """The run a backend created while ignoring `stream` (its JSON answer), if that is what
    `error` is."""
    if not isinstance(error, APIResponseValidationError) or error.response is None:
        return None
    try:
        return Run.model_validate_json(error.response.content)
    except ValueError:
        return None


def stream_turn(turn: Turn, open_stream: Opener) -> StreamingHttpResponse:
    """The SSE response for `turn`, streamed by whichever server is serving this request."""
    prelude = turn.prelude()
    if isinstance(turn.request, ASGIRequest):
        events: Any = _async_events(turn, prelude, open_stream)
    else:
        events = _sync_events(turn, prelude, open_stream)
    response = StreamingHttpResponse(events, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # no proxy buffering: the text must flow
    return response


def _sync_events(turn: Turn, prelude: bytes, open_stream: Opener) -> Iterator[bytes]:
    yield prelude
    try:
        stream = open_stream(turn.client)
    except AssistantsError as error:
        yield turn.not_started(error)
        return
    yield turn.opened()
    with stream:
        try:
            for event in stream:
                if chunk := turn.on_event(event):
                    yield chunk
                if turn.over:
                    return
        except AssistantsError:
            pass
    yield turn.fall_back()


async def _async_events(turn: Turn, prelude: bytes, open_stream: Opener) -> AsyncIterator[bytes]:
    # Neither a thread nor a database connection is held while the stream waits on the engine:
    # dashboard/asgi.py gave them back when the view returned.
    yield prelude
    client = async_client_for(turn.thread.connection, max_retries=1)
    try:
        stream = await open_stream(client)
    except AssistantsError as error:
        yield await _in_thread(turn.not_started, error)
        return
    yield await _in_thread(turn.opened)
    async with stream:
        try:
            async for event in stream:
                if isinstance(event, RunEvent):  # recorded: the database, on a thread
                    chunk = await _in_thread(turn.on_event, event)
                else:
                    chunk = turn.on_event(event)
                if chunk:
                    yield chunk
                if turn.over:
                    return
        except AssistantsError:
            pass
    yield await _in_thread(turn.fall_back)


def _in_thread(function: Callable[..., bytes], *args: Any) -> Awaitable[bytes]:
    def call() -> bytes:
        try:
            return function(*args)
        finally:
            connections.close_all()  # back to the pool between steps of a long stream

    # On the loop's shared threads, not a thread kept for this stream until it ends.
    return sync_to_async(call, thread_sensitive=False)()
