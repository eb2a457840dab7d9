"""Threads, and under them messages, runs and run steps (`client.threads.runs.steps`)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Generic, Literal, TypeVar, Unpack

import httpx
import pydantic

from .._base import NOT_GIVEN, APIRequest, NotGiven, RequestOptions, path_id
from ..errors import PollTimeoutError
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
from ._resource import (
    Kind,
    ListQuery,
    Objects,
    Resource,
    checked,
    request_options,
    split,
    subresource,
)

# Polling: start quickly (a short run is noticed at once), back off to ~2 s so a long run does
# not hammer the backend, honour the backend's `openai-poll-after-ms`, and give up at a deadline.
FIRST_POLL_INTERVAL = 0.01
POLL_BACKOFF = 1.5
MAX_POLL_INTERVAL = 2.0
MAX_POLL_HINT = 10.0
DEFAULT_POLL_TIMEOUT = 600.0  # a run waiting on tool outputs expires after 10 minutes

# What a run call returns: a run, or a stream of its events; awaitable on the async client.
RunT = TypeVar("RunT")
StreamT = TypeVar("StreamT")


def _include_query(include: list[RunInclude] | NotGiven) -> dict[str, Any]:
    # The SDK's wire habit: include[]=a&include[]=b
    return {"include[]": list(include)} if include else {}


def _thread(thread_id: str) -> str:
    return f"threads/{path_id(thread_id, 'thread_id')}"


def _message(thread_id: str, message_id: str) -> str:
    return f"{_thread(thread_id)}/messages/{path_id(message_id, 'message_id')}"


def _run(thread_id: str, run_id: str) -> str:
    return f"{_thread(thread_id)}/runs/{path_id(run_id, 'run_id')}"


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


class PollOptions(RequestOptions, total=False):
    """How `poll` waits (see there), and the request options of each check."""

    poll_interval_ms: int | NotGiven
    poll_timeout: float | None


POLL_KEYS = PollOptions.__optional_keys__ - RequestOptions.__optional_keys__


def _poll_settings(arguments: dict[str, Any]) -> PollOptions:
    """Takes the polling settings out of `arguments`; the rest are the request's."""
    return {key: arguments.pop(key) for key in POLL_KEYS if key in arguments}  # type: ignore[return-value]


class MessageListQuery(ListQuery, total=False):
    run_id: str | NotGiven


def _stream_flag(stream: bool) -> dict[str, Any]:
    # `stream` is sent only when asked for, as the SDK does.
    return {"stream": True} if stream else {}


def _run_body(
    params: type[pydantic.BaseModel], named: dict[str, Any], fields: RunFields, stream: bool
) -> tuple[dict[str, Any], RequestOptions]:
    """The checked body of a call that starts a run (its named arguments, then the run's
    overrides among `fields`), and the request options that are the rest of `fields`."""
    given, options = split(fields, params)
    return checked(params, {**named, **given, **_stream_flag(stream)}), options


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
        body = checked(
            MessageCreateParams,
            {"role": role, "content": content, "attachments": attachments, "metadata": metadata},
        )
        # Unsafe: a retry after the request may have arrived would post the message twice.
        path = f"{_thread(thread_id)}/messages"
        return self._call("POST", path, Message, safe=False, body=body, options=options)

    def retrieve(
        self, message_id: str, *, thread_id: str, **options: Unpack[RequestOptions]
    ) -> Message:
        path = _message(thread_id, message_id)
        return self._call("GET", path, Message, safe=True, options=options)

    def update(
        self,
        message_id: str,
        *,
        thread_id: str,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Message:
        body = checked(MessageUpdateParams, {"metadata": metadata})
        path = _message(thread_id, message_id)
        return self._call("POST", path, Message, safe=True, body=body, options=options)

    def list(self, thread_id: str, **query: Unpack[MessageListQuery]) -> CursorPage[Message]:
        return self._list(f"{_thread(thread_id)}/messages", Message, query, MessageListParams)

    def delete(
        self, message_id: str, *, thread_id: str, **options: Unpack[RequestOptions]
    ) -> MessageDeleted:
        path = _message(thread_id, message_id)
        return self._call("DELETE", path, MessageDeleted, safe=True, options=options)


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
        query = _include_query(include)
        return self._call("GET", path, RunStep, safe=True, query=query, options=options)


class RunCalls(Resource, Generic[RunT, StreamT]):
    """The run calls of both clients, each request described once here; the client carries it
    out (`Runs` returns what it answers, `AsyncRuns` an awaitable of it)."""

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
    ) -> StreamT:
        """Start a run; with `stream=True`, a stream of its events."""
        body, options = _run_body(
            RunCreateParams,
            {
                "assistant_id": assistant_id,
                "reasoning_effort": reasoning_effort,
                "additional_instructions": additional_instructions,
                "additional_messages": additional_messages,
            },
            fields,
            stream,
        )
        # Unsafe: retried only when the backend cannot have started it (see _base).
        path = f"{_thread(thread_id)}/runs"
        query = _include_query(include)
        return self._call(
            "POST", path, Run, safe=False, body=body, query=query, options=options, stream=stream
        )

    def retrieve(self, run_id: str, *, thread_id: str, **options: Unpack[RequestOptions]) -> RunT:
        path = _run(thread_id, run_id)
        return self._call("GET", path, Run, safe=True, options=options)

    def cancel(self, run_id: str, *, thread_id: str, **options: Unpack[RequestOptions]) -> RunT:
        # Not retried blindly: a second cancel of a cancelling run is refused with a 400.
        path = f"{_run(thread_id, run_id)}/cancel"
        return self._call("POST", path, Run, safe=False, options=options)

    def submit_tool_outputs(
        self,
        run_id: str,
        *,
        thread_id: str,
        tool_outputs: list[Any],
        stream: bool = False,
        **options: Unpack[RequestOptions],
    ) -> StreamT:
        """Answer a run's function calls, all in one request; `stream=True` streams the rest."""
        path = f"{_run(thread_id, run_id)}/submit_tool_outputs"
        body = checked(
            RunSubmitToolOutputsParams, {"tool_outputs": tool_outputs, **_stream_flag(stream)}
        )
        return self._call("POST", path, Run, safe=False, body=body, options=options, stream=stream)


class Runs(RunCalls[Run, Run | AssistantStream]):
    steps = subresource(Steps)

    def update(
        self,
        run_id: str,
        *,
        thread_id: str,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Run:
        body = checked(RunUpdateParams, {"metadata": metadata})
        path = _run(thread_id, run_id)
        return self._call("POST", path, Run, safe=True, body=body, options=options)

    def list(self, thread_id: str, **query: Unpack[ListQuery]) -> CursorPage[Run]:
        return self._list(f"{_thread(thread_id)}/runs", Run, query)

    # -- polling -----------------------------------------------------------------------------

    def poll(self, run_id: str, *, thread_id: str, **options: Unpack[PollOptions]) -> Run:
        """Wait until the run stops: terminal, or `requires_action` (tool outputs needed).

        The first check is immediate; then the interval ramps up from 10 ms by half each time
        towards 2 s, so a short run is noticed within milliseconds and a long one is not
        hammered. A backend's `openai-poll-after-ms` sets where the ramp stops: a shorter
        hint keeps checks at that pace, a longer one (over 2 s) slows them to it.
        `poll_interval_ms` overrides all that. After `poll_timeout` seconds (one last check at
        the deadline) raises `PollTimeoutError` with the last run seen; `timeout` and the other
        request options apply to each check, as everywhere in the client.
        """
        settings = _poll_settings(options)
        poll_interval_ms = settings.get("poll_interval_ms", NOT_GIVEN)
        poll_timeout = settings.get("poll_timeout", DEFAULT_POLL_TIMEOUT)
        headers = {"X-Stainless-Poll-Helper": "true"}
        if poll_interval_ms:
            headers["X-Stainless-Custom-Poll-Interval"] = str(poll_interval_ms)
        path = _run(thread_id, run_id)
        check = APIRequest(
            "GET", path, Run, safe=True, headers=headers, options=request_options(options)
        )
        client = self._client
        started = client._monotonic()
        deadline = None if poll_timeout is None else started + poll_timeout
        interval = FIRST_POLL_INTERVAL
        while True:
            response = client.send(check)
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

    def create_and_poll(self, thread_id: str, **arguments: Any) -> Run:
        """Create a run (the arguments of `create`) and wait until it stops (`poll_interval_ms`
        and `poll_timeout` of `poll`)."""
        if arguments.get("stream"):
            raise ValueError("create_and_poll does not stream; use create(stream=True)")
        settings = _poll_settings(arguments)
        return self._poll_after(self.create(thread_id, **arguments), thread_id, settings)

    def submit_tool_outputs_and_poll(
        self,
        run_id: str,
        *,
        thread_id: str,
        tool_outputs: list[Any],
        **options: Unpack[PollOptions],
    ) -> Run:
        """Submit tool outputs and wait until the run stops again (see `poll`); the request
        options apply to the submission and to each check."""
        settings = _poll_settings(options)
        run = self.submit_tool_outputs(
            run_id, thread_id=thread_id, tool_outputs=tool_outputs, **options
        )
        return self._poll_after(run, thread_id, {**options, **settings})

    def _poll_after(self, run: Run | AssistantStream, thread_id: str, poll: PollOptions) -> Run:
        assert isinstance(run, Run)  # asked for without `stream`
        return self.poll(run.id, thread_id=thread_id, **poll)


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


class Threads(Objects[Thread, ThreadDeleted]):
    kind = Kind("threads", "thread_id", Thread, ThreadDeleted)
    messages = subresource(Messages)
    runs = subresource(Runs)

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
        return self._call("POST", "threads", Thread, safe=False, body=body, options=options)

    def update(
        self,
        thread_id: str,
        *,
        tool_resources: Any | NotGiven | None = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Thread:
        body = checked(ThreadUpdateParams, {"tool_resources": tool_resources, "metadata": metadata})
        return self._call("POST", _thread(thread_id), Thread, safe=True, body=body, options=options)

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
        body, options = _run_body(
            ThreadCreateAndRunParams,
            {"assistant_id": assistant_id, "thread": thread, "tool_resources": tool_resources},
            fields,
            stream,
        )
        return self._call(
            "POST", "threads/runs", Run, safe=False, body=body, options=options, stream=stream
        )


class AsyncRuns(RunCalls[Awaitable[Run], Awaitable[Run | AsyncAssistantStream]]):
    """Create, submit tool outputs (both may stream), retrieve and cancel, awaited."""


class AsyncThreads(Resource):
    """`client.threads` of `AsyncAssistantsClient`: the run calls a streaming view needs."""

    runs = subresource(AsyncRuns)
