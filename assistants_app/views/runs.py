"""Runs: the polled status fragment, tool outputs, cancel, try again, the run-steps inspector."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling, reswap, retarget

from .. import waiting
from ..chat import (
    FIRST_POLL_DELAY_MS,
    MAX_POLL_DELAY_MS,
    PANE_FRAGMENT,
    STATUS_FRAGMENT,
    ChatPane,
    RunState,
    remember_run,
    start_run,
)
from ..forms import ToolOutputsForm
from ..message_files import note_step_files, tool_call_view
from ..models import RunRecord, ThreadRecord, ToolOutputSubmission
from ..services import AssistantsError
from ..services.types import FunctionToolCall, ToolCallsStepDetails
from . import backend, fragment, in_words
from .stream import Turn, stream_turn, wants_stream


@require_GET
def run_status(request: HttpRequest, pk: int, run_id: str) -> HttpResponse:
    """Polled by the run-status element; HTTP 286 (stop polling) once the run is over."""
    thread = get_object_or_404(ThreadRecord.objects.visible_to(request.user), pk=pk)
    record = get_object_or_404(thread.runs, run_id=run_id)
    if not request.htmx:
        return redirect(thread)
    # No retries here: the next poll is the retry, and a poll must answer promptly.
    client = backend(thread.connection, max_retries=0, timeout=15)
    state = ChatPane.of(request, thread, client).run_state(record, delay=_delay(request))
    if state.holds_thread:
        return _status(request, thread, state)
    # Over: show the answer (or what went wrong) and re-enable the composer.
    thread.note_activity()
    pane = ChatPane.of(request, thread, backend(thread.connection))
    response = HttpResponseStopPolling(render_to_string(PANE_FRAGMENT, pane.context(), request))
    return reswap(retarget(response, "#conversation"), "innerHTML")


@require_POST
def run_submit_outputs(request: HttpRequest, pk: int, run_id: str) -> HttpResponse:
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    record = get_object_or_404(thread.runs, run_id=run_id)
    pane = ChatPane.of(request, thread, backend(thread.connection))
    state = pane.run_state(record)
    if state.tool_form is None:  # no longer waiting (answered elsewhere, cancelled, expired)
        return _status_or_page(request, thread, state)
    form = ToolOutputsForm(state.tool_form.tool_calls, request.POST)
    form.is_valid()  # every field is optional plain text
    if wants_stream(request):
        turn = waiting.take_round(record, form.tool_calls, form.outputs(), request.user)
        if not turn.won:
            return _answered_elsewhere(request, thread, state, turn)
        return _stream_outputs(request, thread, record, state, form)
    try:
        # Exactly one submission per round of calls, whoever else answers at the same time.
        turn, run = waiting.submit(
            record, pane.client, form.tool_calls, form.outputs(), request.user
        )
    except AssistantsError as error:
        # Nothing typed is lost: the cards come back filled in, with the reason.
        state.tool_form, state.tool_error = form, in_words(error)
        if request.htmx:
            return _status(request, thread, state, status=422)
        pane.run = state  # the page shows the cards as they were posted
        return render(request, "threads/detail.html", pane.context(), status=422)
    if run is None:
        return _answered_elsewhere(request, thread, state, turn)
    return _status_or_page(request, thread, pane.run_state(record, run=run))


def _answered_elsewhere(
    request: HttpRequest, thread: ThreadRecord, state: RunState, turn: waiting.Turn
) -> HttpResponse:
    """Someone else's outputs won: say who answered and what, and follow the run."""
    state.tool_form, state.answered = None, turn
    if not request.htmx:
        messages.warning(request, turn.words)
    return _status_or_page(request, thread, state)


@require_POST
def run_cancel(request: HttpRequest, pk: int, run_id: str) -> HttpResponse:
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    record = get_object_or_404(thread.runs, run_id=run_id)
    pane = ChatPane.of(request, thread, backend(thread.connection))
    try:
        run = pane.client.threads.runs.cancel(run_id, thread_id=thread.thread_id)
    except AssistantsError as error:
        state = pane.run_state(record)
        state.cancel_error = f"Could not cancel the run. {in_words(error)}"
        return _status_or_page(request, thread, state, status=422)
    remember_run(record, run)
    if request.htmx and request.POST.get("streaming"):
        # The stream shows how the run ends; by the time this answer arrives it may have
        # replaced the pane, Stop button and all, so there is nothing here to swap.
        return HttpResponse(status=204)
    return _status_or_page(request, thread, pane.run_state(record, run=run))


@require_POST
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Try again": a new run on the thread, with the options of the last one."""
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    last = thread.runs.first()
    client = backend(thread.connection)
    start_error = ""
    try:
        start_run(thread, client, request.user, last.options if last else {})
    except AssistantsError as error:
        start_error = in_words(error)
    if request.htmx:
        pane = ChatPane.of(request, thread, client, start_error=start_error)
        return render(request, PANE_FRAGMENT, pane.context())
    return redirect(thread)


@require_GET
def run_steps(request: HttpRequest, pk: int, run_id: str) -> HttpResponse:
    """The run-steps inspector: each step, tool calls with arguments, outputs and who gave them."""
    thread = get_object_or_404(ThreadRecord.objects.visible_to(request.user), pk=pk)
    client = backend(thread.connection)
    record = thread.runs.filter(run_id=run_id).select_related("started_by").first()
    context: dict[str, Any] = {
        "nav": "threads",
        "thread": thread,
        "run_id": run_id,
        "record": record,
    }
    try:
        context["run_obj"] = client.threads.runs.retrieve(run_id, thread_id=thread.thread_id)
        steps = client.threads.runs.steps.list(
            run_id, thread_id=thread.thread_id, order="asc", limit=100
        ).data
    except AssistantsError as error:
        context["error"] = in_words(error)
        steps = []
    submissions = {
        s.tool_call_id: s
        for s in ToolOutputSubmission.objects.filter(run=record).select_related("submitted_by")
    } if record else {}  # fmt: skip
    context["steps"] = [_step_view(step, submissions, thread) for step in steps]
    note_step_files(
        thread, [c["tool"] for s in context["steps"] for c in s["calls"] if "tool" in c]
    )
    return render(request, fragment(request, "threads/steps.html", "steps"), context)


def _step_view(step, submissions: dict, thread: ThreadRecord) -> dict[str, Any]:
    calls = []
    if isinstance(step.step_details, ToolCallsStepDetails):
        for call in step.step_details.tool_calls:
            if isinstance(call, FunctionToolCall):
                calls.append(
                    {
                        "name": call.function.name,
                        "arguments": call.function.arguments,
                        "output": call.function.output,
                        "submission": submissions.get(call.id),
                    }
                )
            elif (view := tool_call_view(call, thread)) is not None:
                calls.append({"name": call.type, "arguments": "", "output": None, "tool": view})
            else:
                calls.append(
                    {"name": getattr(call, "type", "tool"), "arguments": "", "output": None}
                )
    end = step.completed_at or step.failed_at or step.cancelled_at or step.expired_at
    return {
        "type": step.type,
        "status": step.status,
        "created_at": step.created_at,
        "duration": (end - step.created_at) if end and step.created_at else None,
        "usage": step.usage,
        "last_error": step.last_error,
        "calls": calls,
    }


def _stream_outputs(
    request: HttpRequest,
    thread: ThreadRecord,
    record: RunRecord,
    state: RunState,
    form: ToolOutputsForm,
) -> StreamingHttpResponse:
    """Submit the outputs and stream the rest of the run (the answer, or the next card)."""
    turn = Turn(request, thread, backend(thread.connection), record=record, outputs=form)
    turn.run = state.run
    return stream_turn(
        turn,
        lambda api: api.threads.runs.submit_tool_outputs(
            record.run_id, thread_id=thread.thread_id, tool_outputs=form.outputs(), stream=True
        ),
    )


def _status(
    request: HttpRequest, thread: ThreadRecord, state: RunState, status: int = 200
) -> HttpResponse:
    """The run-status element, and the composer's reason beside it (out of band)."""
    context = {"thread": thread, "state": state, "oob": True}
    return render(request, STATUS_FRAGMENT, context, status=status)


def _status_or_page(
    request: HttpRequest, thread: ThreadRecord, state: RunState, status: int = 200
) -> HttpResponse:
    if request.htmx:
        return _status(request, thread, state, status)
    if state.cancel_error:
        messages.error(request, state.cancel_error)
    return redirect(thread)


def _delay(request: HttpRequest) -> int:
    """The poll's delay (ms), from the element's URL, within the bounds."""
    try:
        delay = int(request.GET.get("delay") or FIRST_POLL_DELAY_MS)
    except ValueError:
        return FIRST_POLL_DELAY_MS
    return min(max(delay, FIRST_POLL_DELAY_MS), MAX_POLL_DELAY_MS)
