"""Server-sent events from `stream=True` calls, parsed into typed `AssistantStreamEvent`s.

Framing (as the API and the official SDK do it): `event: <name>` and `data: <json>` lines, a
blank line ends an event, lines starting with ":" are comments, several `data:` lines join with
a newline. `data: [DONE]` ends the stream. An `error` event (`{"error": {...}}` or a bare error
object) raises `APIStreamError`; a connection that drops mid-stream raises `APIConnectionError`.
`AssistantStream` (sync client) and `AsyncAssistantStream` (async client) share the parsing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pydantic

from .errors import APIConnectionError, APIResponseValidationError, APIStreamError
from .types import (
    AssistantStreamEvent,
    MessageDeltaEvent,
    MessageEvent,
    Run,
    RunEvent,
)

EVENT_ADAPTER: pydantic.TypeAdapter[AssistantStreamEvent] = pydantic.TypeAdapter(
    AssistantStreamEvent
)


@dataclass(frozen=True)
class ServerSentEvent:
    event: str | None
    data: str
    id: str | None = None


class SSEDecoder:
    """Line by line: `decode(line)` returns the event a blank line completes, else None."""

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._last_id: str | None = None

    def decode(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self.flush()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id":
            self._last_id = value
        # `retry:` and unknown fields are ignored, as the SSE specification says.
        return None

    def flush(self) -> ServerSentEvent | None:
        """The event in the making, if any (at a blank line, or where the stream ends)."""
        sse = None
        if self._data or self._event is not None:
            sse = ServerSentEvent(event=self._event, data="\n".join(self._data), id=self._last_id)
        self._event, self._data = None, []
        return sse


def iter_sse(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """Decode SSE lines (without their line endings) into events."""
    decoder = SSEDecoder()
    for line in lines:
        if (sse := decoder.decode(line)) is not None:
            yield sse
    if (sse := decoder.flush()) is not None:
        yield sse


async def aiter_sse(lines: AsyncIterable[str]) -> AsyncIterator[ServerSentEvent]:
    """`iter_sse` for an async source of lines."""
    decoder = SSEDecoder()
    async for line in lines:
        if (sse := decoder.decode(line)) is not None:
            yield sse
    if (sse := decoder.flush()) is not None:
        yield sse


def parse_event(sse: ServerSentEvent, *, response: httpx.Response | None = None):
    """One SSE into a typed event; raises `APIStreamError` for an `error` event."""
    try:
        payload: Any = json.loads(sse.data)
    except ValueError:
        raise APIResponseValidationError(
            f"Stream event {sse.event!r} carries data that is not JSON: {sse.data[:200]!r}",
            response=response,
            request=response.request if response is not None else None,
        ) from None
    if sse.event == "error" or (
        sse.event is None and isinstance(payload, dict) and "error" in payload
    ):
        raise _stream_error(payload, response)
    try:
        return EVENT_ADAPTER.validate_python({"event": sse.event or "message", "data": payload})
    except pydantic.ValidationError as error:
        raise APIResponseValidationError(
            f"Stream event {sse.event!r} does not fit its model: {str(error)[:500]}",
            response=response,
            request=response.request if response is not None else None,
            body=payload,
        ) from None


def _stream_error(payload: Any, response: httpx.Response | None) -> APIStreamError:
    error = payload.get("error", payload) if isinstance(payload, dict) else {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    code = error.get("code")
    return APIStreamError(
        error.get("message") or "The stream reported an error",
        request=response.request if response is not None else None,
        body=payload,
        code=str(code) if code is not None else None,
        param=error.get("param"),
        type=error.get("type"),
        request_id=response.headers.get("x-request-id") if response is not None else None,
    )


def is_event_stream(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/event-stream")


def not_a_stream(response: httpx.Response) -> APIResponseValidationError:
    """A backend that ignored `stream`; its whole answer (read) stays on `.response`, since
    a run may have started all the same."""
    content_type = response.headers.get("content-type", "")
    return APIResponseValidationError(
        f"Asked for a stream, the backend answered {content_type or 'no content type'}",
        request=response.request,
        response=response,
        body=response.text[:2000],
    )


class _StreamState:
    """What the sync and async streams share: typing each SSE and following the run."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.current_run: Run | None = None
        self.messages: dict[str, Any] = {}

    def _accept(self, sse: ServerSentEvent) -> AssistantStreamEvent | None:
        """The typed event, or None at `[DONE]`."""
        if sse.data.startswith("[DONE]"):
            return None
        event = parse_event(sse, response=self.response)
        if isinstance(event, RunEvent):
            self.current_run = event.data
        elif isinstance(event, MessageEvent):
            self.messages[event.data.id] = event.data
        return event

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A connection dropped mid-stream is raised as ours."""
        try:
            yield
        except httpx.TransportError as error:
            raise APIConnectionError(
                f"The stream was cut off: {type(error).__name__}: {error}",
                request=self.response.request,
            ) from error


class AssistantStream(_StreamState):
    """Iterate it for events; use it as a context manager so the connection is released.

    `current_run` follows the latest run event; `until_done()` drains the stream and returns
    it. `text_deltas()` yields only the text the assistant writes, as it arrives.
    """

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response)
        self._iterator = self._events()

    def _events(self) -> Iterator[AssistantStreamEvent]:
        try:
            with self._reading():
                for sse in iter_sse(self.response.iter_lines()):
                    if (event := self._accept(sse)) is None:
                        return
                    yield event
        finally:
            self.response.close()

    def __iter__(self) -> Iterator[AssistantStreamEvent]:
        return self._iterator

    def __next__(self) -> AssistantStreamEvent:
        return next(self._iterator)

    def __enter__(self) -> AssistantStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.response.close()

    def until_done(self) -> Run | None:
        """Consume the rest of the stream; the run as last reported."""
        for _ in self._iterator:
            pass
        return self.current_run

    def text_deltas(self) -> Iterator[str]:
        for event in self._iterator:
            if isinstance(event, MessageDeltaEvent):
                text = event.data.text
                if text:
                    yield text


class AsyncAssistantStream(_StreamState):
    """`AssistantStream` for `AsyncAssistantsClient`: `async for event in stream`, and
    `async with` (or `await stream.aclose()`) to release the connection."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response)
        self._iterator = self._events()

    async def _events(self) -> AsyncIterator[AssistantStreamEvent]:
        try:
            with self._reading():
                async for sse in aiter_sse(self.response.aiter_lines()):
                    if (event := self._accept(sse)) is None:
                        return
                    yield event
        finally:
            await self.response.aclose()

    def __aiter__(self) -> AsyncIterator[AssistantStreamEvent]:
        return self._iterator

    async def __anext__(self) -> AssistantStreamEvent:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> AsyncAssistantStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._iterator.aclose()  # type: ignore[attr-defined]
        await self.response.aclose()

    async def until_done(self) -> Run | None:
        async for _ in self._iterator:
            pass
        return self.current_run
