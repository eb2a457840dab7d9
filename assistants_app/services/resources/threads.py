"""Threads, and under them messages, runs and run steps (`client.threads.runs.steps`)."""

from __future__ import annotations

from typing import Any, Literal, Unpack

import httpx

from .._base import NOT_GIVEN, NotGiven, RequestOptions, path_id
from ..errors import APIResponseValidationError, PollTimeoutError
from ..pagination import CursorPage
from ..streaming import AssistantStream, AsyncAssistantStream
from ..types import (
    RUN_STOP_STATUSES,
    Message,
    MessageCreateParams,
    MessageDeleted,
    MessageListParams,
    MessageUpdateParams,
    Run,
    RunCreateParams,
    RunInclude,
    RunStep,
    RunSubmitToolOutputsParams,
    RunUpdateParams,
    Thread,
    ThreadCreateAndRunParams,
    ThreadCreateParams,
    ThreadDeleted,
    ThreadUpdateParams,
)
from ._resource import ListQuery, Resource, checked, split

# Polling: start quickly (a short run is noticed at once), back off to ~2 s so a long run does
# not hammer the backend, honour the backend's `openai-poll-after-ms`, and give up at a deadline.
FIRST_POLL_INTERVAL = 0.01
POLL_BACKOFF = 1.5
MAX_POLL_INTERVAL = 2.0
MAX_POLL_HINT = 10.0
DEFAULT_POLL_TIMEOUT = 600.0  # a run waiting on tool outputs expires after 10 minutes


def _include_query(include: list[RunInclude] | NotGiven) -> dict[str, Any]:
    # The SDK's wire habit: include[]=a&include[]=b
    return {"include[]": list(include)} if include else {}


def _stream_request(client: Any, path: str, body: dict[str, Any], options: RequestOptions):
    request = client.build_request("POST", path, body=body, options=options)
    request.headers["Accept"] = "text/event-stream"
    return request


def _is_stream(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/event-stream")


def _not_a_stream(response: httpx.Response) -> APIResponseValidationError:
    """A backend that ignored `stream`; its whole answer (read) stays on `.response`, since
    a run may have started all the same."""
    content_type = response.headers.get("content-type", "")
    return APIResponseValidationError(
        f"Asked for a stream, the backend answered {content_type or 'no content type'}",
        request=response.request,
        response=response,
        body=response.text[:2000],
    )


def _stream(client: Any, path: str, body: dict[str, Any], options: RequestOptions):
    request = _stream_request(client, path, body, options)
    response = client.send(request, safe=False, stream=True, max_retries=options.get("max_retries"))
    if not _is_stream(response):
        response.read()
        response.close()
        raise _not_a_stream(response)
    return AssistantStream(response)


async def _astream(client: Any, path: str, body: dict[str, Any], options: RequestOptions):
    request = _stream_request(client, path, body, options)
    response = await client.send(
        request, safe=False, stream=True, max_retries=options.get("max_retries")
    )
    if not _is_stream(response):
        await response.aread()
        await response.aclose()
        raise _not_a_stream(response)
    return AsyncAssistantStream(response)


class RunFields(RequestOptions, total=False):
    """What a run may override on its assistant: part of the body of create run and of create
    thread and run (`RunCreateParams` / `ThreadCreateAndRunParams` hold the API's limits)."""

    model: str | None
    instructions: str | None
    tools: list[Any] | None
    metadata: dict[str, str] | None
    temperature: float | None
    top_p: float | None
    max_prompt_tokens: int | None
    max_completion_tokens: int | None
    truncation_strategy: Any | None
    tool_choice: Any | None
    parallel_tool_calls: bool
    response_format: Any | None


class MessageListQuery(ListQuery, total=False):
    run_id: str | NotGiven


def _stream_flag(stream: bool) -> dict[str, Any]:
    # `stream` is sent only when asked for, as the SDK does.
    return {"stream": True} if stream else {}


class Threads(Resource):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.messages = Messages(client)
        self.runs = Runs(client)

    def create(
        self,
        *,
        messages: list[Any] | NotGiven = NOT_GIVEN,
        tool_resources: Any | NotGiven | None = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Thread:
        body = checked(
            ThreadCreateParams,
            {"messages": messages, "tool_resources": tool_resources, "metadata": metadata},
        )
        return self._client.request(
            "POST", "threads", Thread, safe=False, body=body, options=options
        )

    def retrieve(self, thread_id: str, **options: Unpack[RequestOptions]) -> Thread:
        path = f"threads/{path_id(thread_id, 'thread_id')}"
        return self._client.request("GET", path, Thread, safe=True, options=options)

    def update(
        self,
        thread_id: str,
        *,
        tool_resources: Any | NotGiven | None = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Thread:
        path = f"threads/{path_id(thread_id, 'thread_id')}"
        body = checked(ThreadUpdateParams, {"tool_resources": tool_resources, "metadata": metadata})
        return self._client.request("POST", path, Thread, safe=True, body=body, options=options)

    def delete(self, thread_id: str, **options: Unpack[RequestOptions]) -> ThreadDeleted:
        path = f"threads/{path_id(thread_id, 'thread_id')}"
        return self._client.request("DELETE", path, ThreadDeleted, safe=True, options=options)

    def create_and_run(
        self,
        *,
        assistant_id: str,
        thread: Any | NotGiven = NOT_GIVEN,
        tool_resources: Any | NotGiven | None = NOT_GIVEN,
        stream: bool = False,
        **fields: Unpack[RunFields],
    ) -> Run | AssistantStream:
        """Create a thread and run it; with `stream=True`, an `AssistantStream` of events."""
        given, options = split(fields, ThreadCreateAndRunParams)
        body = checked(
            ThreadCreateAndRunParams,
            {
                "assistant_id": assistant_id,
                "thread": thread,
                "tool_resources": tool_resources,
                **given,
                **_stream_flag(stream),
            },
        )
        if stream:
            return _stream(self._client, "threads/runs", body, options)
        return self._client.request(
            "POST", "threads/runs", Run, safe=False, body=body, options=options
        )


class Messages(Resource):
    def create(
        self,
        thread_id: str,
        *,
        role: Literal["user", "assistant"],
        content: str | list[Any],
        attachments: list[Any] | NotGiven | None = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Message:
        path = f"threads/{path_id(thread_id, 'thread_id')}/messages"
        body = checked(
            MessageCreateParams,
            {"role": role, "content": content, "attachments": attachments, "metadata": metadata},
        )
        # Unsafe: a retry after the request may have arrived would post the message twice.
        return self._client.request("POST", path, Message, safe=False, body=body, options=options)

    def retrieve(
        self, message_id: str, *, thread_id: str, **options: Unpack[RequestOptions]
    ) -> Message:
        return self._client.request(
            "GET", _message(thread_id, message_id), Message, safe=True, options=options
        )

    def update(
        self,
        message_id: str,
        *,
        thread_id: str,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Message:
        body = checked(MessageUpdateParams, {"metadata": metadata})
        return self._client.request(
            "POST", _message(thread_id, message_id), Message, safe=True, body=body, options=options
        )

    def list(self, thread_id: str, **query: Unpack[MessageListQuery]) -> CursorPage[Message]:
        path = f"threads/{path_id(thread_id, 'thread_id')}/messages"
        return self._list(path, Message, query, MessageListParams)

    def delete(
        self, message_id: str, *, thread_id: str, **options: Unpack[RequestOptions]
    ) -> MessageDeleted:
        return self._client.request(
            "DELETE", _message(thread_id, message_id), MessageDeleted, safe=True, options=options
        )


def _message(thread_id: str, message_id: str) -> str:
    return f"threads/{path_id(thread_id, 'thread_id')}/messages/{path_id(message_id, 'message_id')}"


def _run(thread_id: str, run_id: str) -> str:
    return f"threads/{path_id(thread_id, 'thread_id')}/runs/{path_id(run_id, 'run_id')}"


def _run_create(
    thread_id: str,
    *,
    assistant_id: str,
    include: list[RunInclude] | NotGiven,
    reasoning_effort: str | NotGiven | None,
    additional_instructions: str | NotGiven | None,
    additional_messages: list[Any] | NotGiven | None,
    stream: bool,
    fields: dict[str, Any],
) -> tuple[str, dict[str, Any], RequestOptions]:
    """Path, checked body and options of create run (the sync and async clients share it)."""
    path = f"threads/{path_id(thread_id, 'thread_id')}/runs"
    given, options = split(fields, RunCreateParams)
    body = checked(
        RunCreateParams,
        {
            "assistant_id": assistant_id,
            "reasoning_effort": reasoning_effort,
            "additional_instructions": additional_instructions,
            "additional_messages": additional_messages,
            **given,
            **_stream_flag(stream),
        },
    )
    query = _include_query(include)
    if query:
        options = {**options, "extra_query": {**query, **options.get("extra_query", {})}}
    return path, body, options


def _submit(
    run_id: str, thread_id: str, tool_outputs: list[Any], stream: bool
) -> tuple[str, dict[str, Any]]:
    path = f"{_run(thread_id, run_id)}/submit_tool_outputs"
    body = checked(
        RunSubmitToolOutputsParams, {"tool_outputs": tool_outputs, **_stream_flag(stream)}
    )
    return path, body


class Runs(Resource):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.steps = Steps(client)

    def create(
        self,
        thread_id: str,
        *,
        assistant_id: str,
        include: list[RunInclude] | NotGiven = NOT_GIVEN,
        reasoning_effort: str | NotGiven | None = NOT_GIVEN,
        additional_instructions: str | NotGiven | None = NOT_GIVEN,
        additional_messages: list[Any] | NotGiven | None = NOT_GIVEN,
        stream: bool = False,
        **fields: Unpack[RunFields],
    ) -> Run | AssistantStream:
        """Start a run; with `stream=True`, an `AssistantStream` of its events."""
        path, body, options = _run_create(
            thread_id,
            assistant_id=assistant_id,
            include=include,
            reasoning_effort=reasoning_effort,
            additional_instructions=additional_instructions,
            additional_messages=additional_messages,
            stream=stream,
            fields=fields,
        )
        if stream:
            return _stream(self._client, path, body, options)
        # Unsafe: retried only when the backend cannot have started it (see _base).
        return self._client.request("POST", path, Run, safe=False, body=body, options=options)

    def retrieve(self, run_id: str, *, thread_id: str, **options: Unpack[RequestOptions]) -> Run:
        return self._client.request("GET", _run(thread_id, run_id), Run, safe=True, options=options)

    def update(
        self,
        run_id: str,
        *,
        thread_id: str,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Run:
        body = checked(RunUpdateParams, {"metadata": metadata})
        return self._client.request(
            "POST", _run(thread_id, run_id), Run, safe=True, body=body, options=options
        )

    def list(self, thread_id: str, **query: Unpack[ListQuery]) -> CursorPage[Run]:
        return self._list(f"threads/{path_id(thread_id, 'thread_id')}/runs", Run, query)

    def cancel(self, run_id: str, *, thread_id: str, **options: Unpack[RequestOptions]) -> Run:
        path = f"{_run(thread_id, run_id)}/cancel"
        # Not retried blindly: a second cancel of a cancelling run is refused with a 400.
        return self._client.request("POST", path, Run, safe=False, options=options)

    def submit_tool_outputs(
        self,
        run_id: str,
        *,
        thread_id: str,
        tool_outputs: list[Any],
        stream: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Run | AssistantStream:
        """Answer a run's function calls, all in one request; `stream=True` streams the rest."""
        path, body = _submit(run_id, thread_id, tool_outputs, stream)
        if stream:
            return _stream(self._client, path, body, options)
        return self._client.request("POST", path, Run, safe=False, body=body, options=options)

    # -- polling -----------------------------------------------------------------------------

    def poll(
        self,
        run_id: str,
        *,
        thread_id: str,
        poll_interval_ms: int | NotGiven = NOT_GIVEN,
        poll_timeout: float | None = DEFAULT_POLL_TIMEOUT,
        **options: Unpack[RequestOptions],
    ) -> Run:
        """Wait until the run stops: terminal, or `requires_action` (tool outputs needed).

        The first check is immediate; then the interval ramps up from 10 ms by half each time
        towards 2 s, so a short run is noticed within milliseconds and a long one is not
        hammered. A backend's `openai-poll-after-ms` sets where the ramp stops: a shorter
        hint keeps checks at that pace, a longer one (over 2 s) slows them to it.
        `poll_interval_ms` overrides all that. After `poll_timeout` seconds (one last check at
        the deadline) raises `PollTimeoutError` with the last run seen; `timeout` and the other
        request options apply to each check, as everywhere in the client.
        """
        client = self._client
        path = _run(thread_id, run_id)
        headers = {"X-Stainless-Poll-Helper": "true"}
        if poll_interval_ms:
            headers["X-Stainless-Custom-Poll-Interval"] = str(poll_interval_ms)
        started = client._monotonic()
        deadline = None if poll_timeout is None else started + poll_timeout
        interval = FIRST_POLL_INTERVAL
        while True:
            request = client.build_request("GET", path, headers=headers, options=options)
            response = client.send(request, safe=True, max_retries=options.get("max_retries"))
            run = client.parse(response, Run)
            if run.status in RUN_STOP_STATUSES:
                return run
            now = client._monotonic()
            if deadline is not None and now >= deadline:
                raise PollTimeoutError(
                    f"Run {run.id} is still {run.status!r} after {now - started:.1f} s of polling",
                    run=run,
                )
            if poll_interval_ms:
                wait = poll_interval_ms / 1000
            else:
                wait = _next_wait(interval, _poll_hint(response))
                interval = min(interval * POLL_BACKOFF, MAX_POLL_INTERVAL)
            if deadline is not None:
                wait = min(wait, max(deadline - now, 0.0))
            client._sleep(wait)

    def create_and_poll(
        self,
        thread_id: str,
        *,
        poll_interval_ms: int | NotGiven = NOT_GIVEN,
        poll_timeout: float | None = DEFAULT_POLL_TIMEOUT,
        **kwargs: Any,
    ) -> Run:
        """Create a run and wait until it stops (see `poll`)."""
        if kwargs.get("stream"):
            raise ValueError("create_and_poll does not stream; use create(stream=True)")
        run = self.create(thread_id, **kwargs)
        assert isinstance(run, Run)
        return self.poll(
            run.id,
            thread_id=thread_id,
            poll_interval_ms=poll_interval_ms,
            poll_timeout=poll_timeout,
        )

    def submit_tool_outputs_and_poll(
        self,
        run_id: str,
        *,
        thread_id: str,
        tool_outputs: list[Any],
        poll_interval_ms: int | NotGiven = NOT_GIVEN,
        poll_timeout: float | None = DEFAULT_POLL_TIMEOUT,
        **options: Unpack[RequestOptions],
    ) -> Run:
        """Submit tool outputs and wait until the run stops again (see `poll`)."""
        run = self.submit_tool_outputs(
            run_id, thread_id=thread_id, tool_outputs=tool_outputs, **options
        )
        assert isinstance(run, Run)
        return self.poll(
            run.id,
            thread_id=thread_id,
            poll_interval_ms=poll_interval_ms,
            poll_timeout=poll_timeout,
            **options,
        )


def _next_wait(interval: float, hint: float | None) -> float:
    """Our ramp, stopped at the backend's hint, or slowed to it when it asks for over 2 s."""
    if hint is None:
        return interval
    return hint if hint > MAX_POLL_INTERVAL else min(interval, hint)


def _poll_hint(response: httpx.Response) -> float | None:
    value = response.headers.get("openai-poll-after-ms")
    try:
        seconds = int(value) / 1000 if value else None
    except ValueError:
        return None
    if seconds is None or seconds < 0:
        return None
    return min(seconds, MAX_POLL_HINT)


class Steps(Resource):
    def list(
        self,
        run_id: str,
        *,
        thread_id: str,
        include: list[RunInclude] | NotGiven = NOT_GIVEN,
        **query: Unpack[ListQuery],
    ) -> CursorPage[RunStep]:
        path = f"{_run(thread_id, run_id)}/steps"
        return self._list(path, RunStep, query, extra_query=_include_query(include))

    def retrieve(
        self,
        step_id: str,
        *,
        thread_id: str,
        run_id: str,
        include: list[RunInclude] | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> RunStep:
        path = f"{_run(thread_id, run_id)}/steps/{path_id(step_id, 'step_id')}"
        return self._client.request(
            "GET", path, RunStep, safe=True, query=_include_query(include), options=options
        )


class AsyncThreads:
    """`client.threads` of `AsyncAssistantsClient`: the run calls a streaming view needs."""

    def __init__(self, client: Any) -> None:
        self.runs = AsyncRuns(client)


class AsyncRuns:
    """Create, submit tool outputs (both may stream), retrieve and cancel, awaited; bodies
    are built and checked by the same code as the sync `Runs`."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def create(
        self,
        thread_id: str,
        *,
        assistant_id: str,
        include: list[RunInclude] | NotGiven = NOT_GIVEN,
        reasoning_effort: str | NotGiven | None = NOT_GIVEN,
        additional_instructions: str | NotGiven | None = NOT_GIVEN,
        additional_messages: list[Any] | NotGiven | None = NOT_GIVEN,
        stream: bool = False,
        **fields: Unpack[RunFields],
    ) -> Run | AsyncAssistantStream:
        path, body, options = _run_create(
            thread_id,
            assistant_id=assistant_id,
            include=include,
            reasoning_effort=reasoning_effort,
            additional_instructions=additional_instructions,
            additional_messages=additional_messages,
            stream=stream,
            fields=fields,
        )
        if stream:
            return await _astream(self._client, path, body, options)
        return await self._client.request("POST", path, Run, safe=False, body=body, options=options)

    async def submit_tool_outputs(
        self,
        run_id: str,
        *,
        thread_id: str,
        tool_outputs: list[Any],
        stream: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Run | AsyncAssistantStream:
        path, body = _submit(run_id, thread_id, tool_outputs, stream)
        if stream:
            return await _astream(self._client, path, body, options)
        return await self._client.request("POST", path, Run, safe=False, body=body, options=options)

    async def retrieve(
        self, run_id: str, *, thread_id: str, **options: Unpack[RequestOptions]
    ) -> Run:
        return await self._client.request(
            "GET", _run(thread_id, run_id), Run, safe=True, options=options
        )

    async def cancel(
        self, run_id: str, *, thread_id: str, **options: Unpack[RequestOptions]
    ) -> Run:
        path = f"{_run(thread_id, run_id)}/cancel"
        return await self._client.request("POST", path, Run, safe=False, options=options)
