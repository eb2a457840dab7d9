"""/v1/threads/{thread_id}/runs: create (JSON or SSE), list, retrieve, modify, cancel,
submit_tool_outputs, and the run steps."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from .. import streaming, usage, wakeup
from ..api import ApiError, body, endpoint, ok, paginate
from ..models import Run, RunStep, Thread
from ..providers import check_model
from ..schemas import CreateRun, ModifyMetadata, RunOptions, SubmitToolOutputs, dump
from . import lookups

logger = logging.getLogger(__name__)


def run_response(run: Run) -> JsonResponse:
    moving = run.status in (Run.QUEUED, Run.IN_PROGRESS, Run.CANCELLING)
    after = settings.ENGINE_POLL_AFTER_MS if moving else 1000
    return ok(run.to_api(), openai_poll_after_ms=str(after))


POLL_HELPER = "X-Stainless-Poll-Helper"  # sent by every poll helper of the official SDKs


def _wait_deadline(request: HttpRequest, found: Run) -> float | None:
    """When a retrieve of `found` stops waiting for it to settle (monotonic), or None: answer
    at once. Only the SDK's pollers wait (they sleep `openai-poll-after-ms` after an answer
    that is still moving, so a run finishing just after their retrieve costs them that much),
    and only while the run is young: long runs are polled as before, each answer at once."""
    if request.method != "GET" or found.status not in (Run.QUEUED, Run.IN_PROGRESS):
        return None
    if request.headers.get(POLL_HELPER) != "true":
        return None
    moving_since = found.queued_at or found.started_at or found.created_at
    left = settings.ENGINE_RUN_WAIT_MS / 1000 - (timezone.now() - moving_since).total_seconds()
    return time.monotonic() + left if left > 0 else None


class MovingRun(streaming.TwoWayStream):
    """The answer to a poll helper's retrieve of a run still moving (see _wait_deadline): its
    body is the run as it is once it leaves queued and in_progress, or at `deadline`.

    Waiting in the body lets the view and the middleware finish at once. Under ASGI the wait is
    on the event loop, woken through wakeup.watching, and holds no thread (not even the
    request's: released as the engine's streams do); under WSGI it is on the request's thread,
    woken through wakeup.follow. Either way the database is read once per wake-up, never polled.
    The headers leave first, so they are a moving run's (the pollers read the hint only then)."""

    def __init__(self, found: Run, deadline: float) -> None:
        self.run, self.deadline = found, deadline
        super().__init__(self._settled(), self._async_settled, "application/json")
        self["openai-poll-after-ms"] = str(settings.ENGINE_POLL_AFTER_MS)

    def _settled(self) -> Iterator[bytes]:
        found = self.run
        changed = wakeup.follow(found.pk)
        try:
            found = _reload(found.pk)  # after following: a later change sets `changed`
            while _moving(found) and changed.wait(max(0.0, self.deadline - time.monotonic())):
                changed.clear()
                found = _reload(found.pk)
        except DatabaseError:  # the state already read is still a true answer
            logger.warning("Waiting for run %s to settle failed", found.pk, exc_info=True)
        finally:
            wakeup.unfollow(found.pk, changed)
        yield json.dumps(found.to_api()).encode()

    async def _async_settled(self) -> AsyncIterator[bytes]:
        found = self.run
        reload = partial(_reload, found.pk)
        try:
            async with wakeup.watching(found.pk) as watch:
                found = await streaming.in_db_thread(reload)
                while _moving(found) and await watch.wait(self.deadline - time.monotonic()):
                    found = await streaming.in_db_thread(reload)
        except Exception:
            logger.warning("Waiting for run %s to settle failed", found.pk, exc_info=True)
        yield json.dumps(found.to_api()).encode()


def _moving(found: Run) -> bool:
    return found.status in (Run.QUEUED, Run.IN_PROGRESS)


def _reload(run_id: str) -> Run:
    return Run.objects.get(pk=run_id)


def run_config(data: RunOptions) -> dict[str, Any]:
    """A request's overrides of the assistant's settings, None where not given."""
    truncation = data.truncation_strategy
    return {
        "model": data.model,
        "instructions": data.instructions,
        "additional_instructions": getattr(data, "additional_instructions", None),
        "tools": None if data.tools is None else [dump(tool) for tool in data.tools],
        "metadata": data.metadata,
        "temperature": data.temperature,
        "top_p": data.top_p,
        "max_prompt_tokens": data.max_prompt_tokens,
        "max_completion_tokens": data.max_completion_tokens,
        "truncation_strategy": None
        if truncation is None
        else {"type": truncation.type, "last_messages": truncation.last_messages},
        "tool_choice": dump(data.tool_choice),
        "parallel_tool_calls": data.parallel_tool_calls,
        "response_format": dump(data.response_format),
        "reasoning_effort": data.reasoning_effort,
    }


def _expire_due(thread: Thread) -> None:
    for waiting in thread.runs.waiting_too_long(timezone.now()):
        waiting.expire_if_due()


@endpoint("GET", "POST")
def runs(request: HttpRequest, thread_id: str) -> HttpResponse:
    found = lookups.thread(request.engine_key, thread_id)
    if request.method == "GET":
        _expire_due(found)
        return paginate(request, found.runs.all())
    data = body(request, CreateRun)
    assistant = lookups.assistant(request.engine_key, data.assistant_id)
    check_model(data.model or assistant.model)
    added = [message.message_fields() for message in data.additional_messages or []]
    for fields in added:
        lookups.attachments(request.engine_key, fields)
    person = usage.admit(request)  # whose budget it draws on; refused when used up
    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=found.pk)
        if active := locked.active_run():
            raise ApiError(400, f"Thread {locked.id} already has an active run {active.id}.")
        for fields in added:
            locked.add_message(**fields)
        run = locked.start_run(assistant, **run_config(data), person_id=person)
    if data.stream:
        prelude = [
            streaming.sse("thread.run.created", run.to_api()),
            streaming.sse("thread.run.queued", run.to_api()),
        ]
        return streaming.run_stream(run, prelude=prelude)
    return run_response(run)


@endpoint("GET", "POST")
def run(request: HttpRequest, thread_id: str, run_id: str) -> HttpResponse:
    found = lookups.run(request.engine_key, thread_id, run_id)
    if request.method == "POST":
        data = body(request, ModifyMetadata)
        if "metadata" in data.model_fields_set:
            found.metadata = data.metadata or {}
            found.save(update_fields=["metadata", "updated_at"])
    elif (deadline := _wait_deadline(request, found)) is not None:
        return MovingRun(found, deadline)
    return run_response(found)


@endpoint("POST")
def cancel(request: HttpRequest, thread_id: str, run_id: str) -> HttpResponse:
    found = lookups.run(request.engine_key, thread_id, run_id)
    if not found.request_cancel():
        raise ApiError(400, f"Cannot cancel run with status '{found.status}'.")
    return run_response(found)


def _check_outputs(found: Run, data: SubmitToolOutputs) -> dict[str, str]:
    if found.status != Run.REQUIRES_ACTION:
        raise ApiError(400, f'Runs in status "{found.status}" do not accept tool outputs.')
    expected = [call["id"] for call in found.pending_tool_calls]
    given = [output.tool_call_id for output in data.tool_outputs]
    for position, call_id in enumerate(given):
        if call_id in given[:position]:
            raise ApiError(
                400,
                f"Duplicate tool output for tool call '{call_id}'.",
                param=f"tool_outputs[{position}].tool_call_id",
                code="invalid_value",
            )
        if call_id not in expected:
            raise ApiError(
                400,
                f"No tool call found with id '{call_id}' waiting for an output on {found.id}.",
                param=f"tool_outputs[{position}].tool_call_id",
                code="invalid_value",
            )
    if sorted(given) != sorted(expected):
        raise ApiError(
            400,
            f"Expected tool outputs for call_ids {expected}, got {given}",
            param="tool_outputs",
            code="invalid_value",
        )
    return {output.tool_call_id: output.output for output in data.tool_outputs}


@endpoint("POST")
def submit_tool_outputs(request: HttpRequest, thread_id: str, run_id: str) -> HttpResponse:
    found = lookups.run(request.engine_key, thread_id, run_id)
    data = body(request, SubmitToolOutputs)
    outputs = _check_outputs(found, data)
    waiting_steps = list(
        found.steps.filter(type=RunStep.TOOL_CALLS, status=RunStep.IN_PROGRESS).values_list(
            "id", flat=True
        )
    )
    known_steps = list(found.steps.values_list("id", flat=True))
    claims_before = found.claims
    if not found.submit_tool_outputs(outputs):
        found.refresh_from_db()
        raise ApiError(400, f'Runs in status "{found.status}" do not accept tool outputs.')
    if data.stream:
        # The worker may claim the run before submit_tool_outputs refreshes it: the stream
        # must still count that claim as new, or it never reports the rest of the run.
        found.claims = claims_before
        completed = RunStep.objects.filter(pk__in=waiting_steps).order_by("created_at", "id")
        prelude = [streaming.sse("thread.run.step.completed", s.to_api()) for s in completed]
        queued = {**found.to_api(), "status": Run.QUEUED}
        prelude.append(streaming.sse("thread.run.queued", queued))
        return streaming.run_stream(found, prelude=prelude, known_steps=known_steps)
    return run_response(found)


@endpoint("GET")
def steps(request: HttpRequest, thread_id: str, run_id: str) -> HttpResponse:
    found = lookups.run(request.engine_key, thread_id, run_id)
    include = _includes_result_content(request)
    return paginate(request, found.steps.all(), lambda s: s.to_api(include_result_content=include))


@endpoint("GET")
def step(request: HttpRequest, thread_id: str, run_id: str, step_id: str) -> HttpResponse:
    found = lookups.step(lookups.run(request.engine_key, thread_id, run_id), step_id)
    return ok(found.to_api(include_result_content=_includes_result_content(request)))


def _includes_result_content(request: HttpRequest) -> bool:
    asked = request.GET.getlist("include[]") + request.GET.getlist("include")
    return RunStep.INCLUDE_RESULT_CONTENT in asked
