"""Server-sent events from `stream=True` calls, parsed into typed `AssistantStreamEvent`s.

Framing (as the API and the official SDK do it): `event: <name>` and `data: <json>` lines, a
blank line ends an event, lines starting with ":" are comments, several `data:` lines join with
a newline. `data: [DONE]` ends the stream. An `error` event (`{"error": {...}}` or a bare error
object) raises `APIStreamError`; a connection that drops mid-stream raises `APIConnectionError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
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


def iter_sse(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """Decode SSE lines (without their line endings) into events."""
    event: str | None = None
    data: list[str] = []
    last_id: str | None = None
    for line in lines:
        if not line:
            if data or event is not None:
                yield ServerSentEvent(event=event, data="\n".join(data), id=last_id)
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            last_id = value
        # `retry:` and unknown fields are ignored, as the SSE specification says.
    if data or event is not None:
        yield ServerSentEvent(event=event, data="\n".join(data), id=last_id)


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


class AssistantStream:
    """Iterate it for events; use it as a context manager so the connection is released.

    `current_run` follows the latest run event; `until_done()` drains the stream and returns
    it. `text_deltas()` yields only the text the assistant writes, as it arrives.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.current_run: Run | None = None
        self.messages: dict[str, Any] = {}
        self._iterator = self._events()

    def _events(self) -> Iterator[AssistantStreamEvent]:
        try:
            for sse in iter_sse(self.response.iter_lines()):
                if sse.data.startswith("[DONE]"):
                    break
                event = parse_event(sse, response=self.response)
                if isinstance(event, RunEvent):
                    self.current_run = event.data
                elif isinstance(event, MessageEvent):
                    self.messages[event.data.id] = event.data
                yield event
        except httpx.TransportError as error:
            raise APIConnectionError(
                f"The stream was cut off: {type(error).__name__}: {error}",
                request=self.response.request,
            ) from error
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
