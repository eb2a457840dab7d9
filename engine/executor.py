"""Executing a run: claim it, build the conversation, stream the provider's answer into run
steps and messages, and settle the run's status.

Every write after the claim is fenced by the run's claim counter and status: if the run was
cancelled, or recovered by another worker after this one stalled past its lease, the writes
match no row and this execution stops without touching anything.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import wakeup
from .api import SERVER_ERROR_MESSAGE
from .files import tools as builtin_tools
from .models import Message, Run, RunStep, call_id, engine_setting, lease_deadline
from .providers.base import (
    ChatMessage,
    ChatRequest,
    Finish,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from .providers.tokens import PromptCounter, margin
from .usage_models import record_run_usage

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05  # how often streamed text reaches the database (and stream followers)


class Lost(Exception):
    """The run is no longer this execution's: cancelled, or taken over after a stall."""


class PromptTooLong(Exception):
    pass


def tokens(text: str | None) -> int:
    return math.ceil(len(text) / 4) if text else 0


def _usage(prompt: int, completion: int, estimated: bool = False) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if estimated:
        usage["estimated"] = True  # the server gave no count: say so, beside the numbers
    return usage


def _add_usage(total: dict[str, Any] | None, more: dict[str, Any]) -> dict[str, Any]:
    total = total or _usage(0, 0)
    return _usage(
        total["prompt_tokens"] + more["prompt_tokens"],
        total["completion_tokens"] + more["completion_tokens"],
        bool(total.get("estimated") or more.get("estimated")),
    )


# ---------------------------------------------------------------------------------------------
# Entry point


@dataclass
class Claim:
    """A run this worker has just leased, and who answers it (or why nobody can)."""

    run: Run
    served: Any = None  # providers.Route
    refused: Exception | None = None


def read_for_claim(run_id: str) -> Claim | None:
    """Run `run_id` as a claim would take it, and who answers it; None when it is not queued.
    Needs no write lock: the worker reads it before its claiming transaction, so routing (which
    may ask a provider for its models) never holds up other writers."""
    from .providers import route

    run = Run.objects.select_related("thread").filter(pk=run_id).first()
    if run is None or run.status != Run.QUEUED:
        return None
    try:
        return Claim(run, served=route(run.model))
    except Exception as error:  # the execution fails the run with it, as it always has
        return Claim(run, refused=error)


def claim(run_id: str, worker_id: str, read: Claim | None = None) -> Claim | None:
    """Lease queued run `run_id` for `worker_id`, recording who answers it in the same write;
    None when it is not queued. Exactly one claimer wins: the update is conditional, fenced by
    the claim count, so a copy `read` earlier is used only if it is still the current one."""
    for _ in range(3):  # again if it was claimed and queued again between read and write
        read = read or read_for_claim(run_id)
        if read is None:
            return None
        run = read.run
        now = timezone.now()
        fields: dict[str, Any] = {
            "status": Run.IN_PROGRESS,
            "started_at": now,
            "worker_id": worker_id,
            "lease_expires_at": lease_deadline(now),
            "claims": run.claims + 1,
            "queued_at": None,
            "updated_at": now,
        }
        if read.served is not None:
            fields["served_by"] = {
                "model": read.served.model,
                "provider": read.served.provider_name,
            }
        if Run.objects.filter(pk=run_id, status=Run.QUEUED, claims=run.claims).update(**fields):
            for name, value in fields.items():
                setattr(run, name, value)
            transaction.on_commit(lambda: wakeup.run_changed(run_id))
            return read
        read = None
    return None


def execute(run_id: str, *, worker_id: str) -> None:
    """Claim and execute run `run_id` (the worker claims runs with their tasks instead)."""
    claimed = claim(run_id, worker_id)
    if claimed is None:
        close_unclaimed(run_id)
        return
    Execution(claimed.run, claim=claimed).go()


def close_unclaimed(run_id: str) -> None:
    """A cancel of a queued or waiting run leaves it "cancelling" with nobody executing it."""
    close_run(
        Run.objects.filter(pk=run_id, status=Run.CANCELLING, lease_expires_at__isnull=True),
        run_id,
        Run.CANCELLED,
    )


def finish_task(task_id: Any) -> None:
    """The task row of an execution, finished inside the transaction that settles its run (a
    crash between the two would leave it RUNNING for recovery to fail)."""
    if task_id is not None:
        DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.SUCCESSFUL,
            finished_at=timezone.now(),
            return_value=None,
            exception_class_path="",
            traceback="",
        )


def close_run(
    runs: QuerySet[Run],
    run_id: str,
    status: str,
    *,
    error: dict[str, str] | None = None,
    usage: dict[str, int] | None = None,
) -> bool:
    """End a run (cancelled, failed or expired) and whatever it left in progress. `runs` is
    the conditional queryset that must still match for this caller to win."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": status,
        "lease_expires_at": None,
        "expires_at": None,
        "required_action": None,
        "updated_at": now,
    }
    step_fields: dict[str, Any] = {"status": status}
    reason = {"cancelled": "run_cancelled", "failed": "run_failed", "expired": "run_expired"}
    if status == Run.CANCELLED:
        fields["cancelled_at"] = step_fields["cancelled_at"] = now
    elif status == Run.FAILED:
        fields["failed_at"] = step_fields["failed_at"] = now
        fields["last_error"] = step_fields["last_error"] = error
    elif status == Run.EXPIRED:
        step_fields["expired_at"] = now
    if usage is not None:
        fields["usage"] = usage
        fields["tokens"] = usage["total_tokens"]  # summed by budget checks, unparsed
    with transaction.atomic():
        if not record_run_usage(runs, run_id, fields):
            return False
        RunStep.objects.filter(run_id=run_id, status=RunStep.IN_PROGRESS).update(**step_fields)
        Message.objects.filter(run_id=run_id, status=Message.IN_PROGRESS).update(
            status=Message.INCOMPLETE,
            incomplete_at=now,
            incomplete_details={"reason": reason[status]},
        )
    transaction.on_commit(lambda: wakeup.run_changed(run_id))
    return True


# ---------------------------------------------------------------------------------------------
# Maintenance, run by every worker about once a second


def recover(now: datetime | None = None) -> int:
    """Settle runs nobody is looking after; returns how many were touched."""
    from . import tasks

    now = now or timezone.now()
    touched = 0
    dead: dict[str, datetime] = {}  # workers whose leases ran out, and since when
    for run in Run.objects.stale(now):
        if run.worker_id and run.lease_expires_at:
            since = dead.get(run.worker_id, run.lease_expires_at)
            dead[run.worker_id] = min(since, run.lease_expires_at)
        if run.status == Run.CANCELLING:
            stale = Run.objects.filter(pk=run.pk, status=Run.CANCELLING, lease_expires_at__lt=now)
            touched += close_run(stale, run.pk, Run.CANCELLED)
            continue
        stale = Run.objects.filter(
            pk=run.pk, status=Run.IN_PROGRESS, claims=run.claims, lease_expires_at__lt=now
        )
        if run.retries >= 1:
            error = {
                "code": "server_error",
                "message": "The worker executing this run stopped, twice; the run was abandoned.",
            }
            touched += close_run(stale, run.pk, Run.FAILED, error=error)
            logger.warning("Run %s failed: its worker stopped twice", run.pk)
            continue
        with transaction.atomic():
            if stale.update(
                status=Run.QUEUED,
                retries=F("retries") + 1,
                worker_id="",
                lease_expires_at=None,
                queued_at=now,
                updated_at=now,
            ):
                touched += 1
                # The answer it was writing is written again by the retry: one answer, not two.
                RunStep.objects.filter(
                    run_id=run.pk, status=RunStep.IN_PROGRESS, type=RunStep.MESSAGE_CREATION
                ).delete()
                Message.objects.filter(run_id=run.pk, status=Message.IN_PROGRESS).delete()
                error = {
                    "code": "server_error",
                    "message": "The worker executing this step stopped.",
                }
                RunStep.objects.filter(run_id=run.pk, status=RunStep.IN_PROGRESS).update(
                    status=RunStep.FAILED, failed_at=now, last_error=error
                )
                tasks.enqueue_run(run.pk)
                logger.warning("Run %s: its worker stopped; retrying", run.pk)
    for worker_id, since in dead.items():
        touched += tasks.abandon_tasks(worker_id, started_before=since)
    patience = timedelta(seconds=max(30.0, engine_setting("ENGINE_RUN_LEASE_SECONDS")))
    touched += tasks.abandon_orphaned_runs(started_before=now - patience)
    for run in Run.objects.waiting_too_long(now):
        touched += run.expire_if_due(now)
    # A cancel whose finishing task was lost, and queued runs whose task was lost.
    orphans = Run.objects.filter(
        status=Run.CANCELLING,
        lease_expires_at__isnull=True,
        updated_at__lt=now - timedelta(seconds=5),
    )
    for run_id in orphans.values_list("pk", flat=True):
        touched += close_run(
            Run.objects.filter(pk=run_id, status=Run.CANCELLING, lease_expires_at__isnull=True),
            run_id,
            Run.CANCELLED,
        )
    for run_id in Run.objects.filter(status=Run.QUEUED, queued_at__lt=now - patience).values_list(
        "pk", flat=True
    ):
        # The stale mark in the filter too: of several workers recovering at once, one wins.
        stale = Run.objects.filter(pk=run_id, status=Run.QUEUED, queued_at__lt=now - patience)
        if stale.update(queued_at=now):
            tasks.enqueue_run(run_id)
            touched += 1
    return touched


def release_leases(worker_id: str) -> None:
    """A worker stopping with runs unfinished: let another worker retry them right away."""
    _leased_by(worker_id).update(lease_expires_at=timezone.now())


def renew_leases(worker_id: str) -> None:
    """The worker's heartbeat: it is alive, so the runs it executes stay its own."""
    _leased_by(worker_id).update(lease_expires_at=lease_deadline())


def _leased_by(worker_id: str) -> QuerySet[Run]:
    # A run cancelled while queued or waiting keeps the worker_id of its last execution but
    # holds no lease (a task closes it): giving it one would stop that task from closing it.
    return Run.objects.filter(
        worker_id=worker_id,
        status__in=[Run.IN_PROGRESS, Run.CANCELLING],
        lease_expires_at__isnull=False,
    )


# ---------------------------------------------------------------------------------------------
# The conversation


def _message_text(message: Message) -> str:
    parts = []
    for part in message.content:
        kind = part.get("type")
        if kind == "text":
            parts.append(part["text"]["value"])
        elif kind == "image_file":
            parts.append(f"[image file {part['image_file']['file_id']}]")
        elif kind == "image_url":
            parts.append(f"[image {part['image_url']['url'][:200]}]")
    return "\n".join(parts)


def _units(run: Run) -> list[tuple[bool, list[ChatMessage]]]:
    """The thread as (is_message, chat messages) units in order; a tool-call unit keeps the
    assistant's calls together with their outputs so truncation never splits them."""
    messages = (
        run.thread.messages.exclude(status=Message.IN_PROGRESS)
        .exclude(run_id=run.pk, status=Message.INCOMPLETE)
        .order_by("created_at", "id")
        .only("created_at", "id", "thread_id", "role", "content")  # parse no more JSON
    )
    steps = (
        run.thread.steps.filter(type=RunStep.TOOL_CALLS, status=RunStep.COMPLETED)
        .order_by("created_at", "id")
        .only("created_at", "id", "thread_id", "step_details")
    )
    items: list[tuple[datetime, str, Any]] = [(m.created_at, m.id, m) for m in messages]
    items += [(s.created_at, s.id, s) for s in steps]
    items.sort(key=lambda item: (item[0], item[1]))
    units: list[tuple[bool, list[ChatMessage]]] = []
    for _, _, item in items:
        if isinstance(item, Message):
            units.append((True, [ChatMessage(role=item.role, content=_message_text(item))]))
            continue
        calls = [c for c in item.step_details.get("tool_calls", []) if c.get("type") == "function"]
        if not calls:
            continue
        chat = [
            ChatMessage(
                role="assistant",
                tool_calls=[
                    ToolCall(
                        id=c["id"], name=c["function"]["name"], arguments=c["function"]["arguments"]
                    )
                    for c in calls
                ],
            )
        ]
        chat += [
            ChatMessage(
                role="tool", content=c["function"].get("output") or "", tool_call_id=c["id"]
            )
            for c in calls
        ]
        units.append((False, chat))
    return units


def _function_tools(run: Run) -> list[dict[str, Any]]:
    return [
        {"type": "function", "function": tool["function"]}
        for tool in run.tools or []
        if tool.get("type") == "function"
    ]


def _chat(system: str, units: list[tuple[bool, list[ChatMessage]]]) -> list[ChatMessage]:
    chat = [ChatMessage(role="system", content=system)] if system else []
    for _, unit in units:
        chat += unit
    return chat


def _fit(
    units: list[tuple[bool, list[ChatMessage]]],
    system: str,
    tools: list[dict[str, Any]],
    cap: int,
    counter: PromptCounter,
) -> tuple[list[tuple[bool, list[ChatMessage]]], int]:
    """The newest units whose prompt stays under `cap` by the server's count (asked for where
    the server can tokenize, else estimated as it taught), and that count; PromptTooLong when
    not even the latest fits."""
    limit = cap - margin(cap)
    fixed = counter.unit([ChatMessage("system", system)]) if system else 0
    fixed += counter.text(json.dumps(tools)) if tools else 0
    sizes = [counter.unit(unit) for _, unit in units]

    def drop() -> None:
        nonlocal units, sizes
        while len(units) > 1 and fixed + sum(sizes) > limit:
            units, sizes = units[1:], sizes[1:]
        if fixed + sum(sizes) > limit:
            raise PromptTooLong

    drop()
    for _ in range(4):  # each round asks the server once; a round trip or two is usual
        exact = counter.exact(_chat(system, units), tools)
        if exact is None:
            return units, fixed + sum(sizes)
        if exact <= limit:
            return units, exact
        scale = exact / max(1, fixed + sum(sizes))
        fixed, sizes = math.ceil(fixed * scale), [math.ceil(s * scale) + 1 for s in sizes]
        drop()
    raise PromptTooLong


def build_request(run: Run, provider: Any = None, model: str = "") -> ChatRequest:
    """The conversation for the model (`model`: the provider's name for it, if not the
    run's). With `provider` (the one that will answer), the prompt budget is held by that
    server's count."""
    model = model or run.model
    units = _units(run)
    strategy = run.truncation_strategy or {}
    if strategy.get("type") == "last_messages" and strategy.get("last_messages"):
        keep = strategy["last_messages"]
        message_positions = [i for i, (is_message, _) in enumerate(units) if is_message]
        if len(message_positions) > keep:
            units = units[message_positions[-keep] :]
    system = "\n\n".join(t for t in (run.instructions, run.additional_instructions) if t)
    tools = _function_tools(run) + builtin_tools.definitions(run)
    counted = None
    if run.max_prompt_tokens:
        counter = PromptCounter(provider, model)
        units, counted = _fit(units, system, tools, run.max_prompt_tokens, counter)
    chat = _chat(system, units)
    choice = builtin_tools.tool_choice(run.tool_choice, tools)
    response_format = run.response_format
    return ChatRequest(
        model=model,
        messages=chat,
        tools=tools,
        tool_choice=(choice or "auto") if tools else None,
        parallel_tool_calls=run.parallel_tool_calls,
        temperature=run.temperature,
        top_p=run.top_p,
        max_completion_tokens=run.max_completion_tokens,
        response_format=None if response_format in (None, "auto") else response_format,
        reasoning_effort=run.reasoning_effort,
        counted_prompt_tokens=counted,
    )


# ---------------------------------------------------------------------------------------------
# One execution of a claimed run


@dataclass
class _Call:
    id: str
    name: str = ""
    arguments: str = ""


@dataclass
class Execution:
    run: Run
    claim: Claim
    task_id: Any = None  # the task row, finished in the execution's last transaction
    task_done: bool = False
    token: int = 0
    text: str = ""
    flushed_text: str = ""
    message: Message | None = None
    message_step: RunStep | None = None
    tool_step: RunStep | None = None
    calls: dict[int, _Call] = field(default_factory=dict)
    flushed_calls: str = ""
    usage: dict[str, int] | None = None
    finish: str | None = None
    last_flush: float = 0.0
    # What the answer began with, in order ("message", "tools"): written at the first flush,
    # or with the settle when the answer ends before it (one transaction for a short reply).
    shown: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    builtin: builtin_tools.BuiltinTools | None = None  # file_search / code_interpreter calls
    counter: PromptCounter | None = None  # under max_prompt_tokens: the server's count
    counted: int = 0  # the first prompt's count, to learn from what the server reports

    def __post_init__(self) -> None:
        self.token = self.run.claims

    def fenced(self) -> QuerySet[Run]:
        return Run.objects.filter(pk=self.run.pk, status=Run.IN_PROGRESS, claims=self.token)

    def go(self) -> bool:
        """Execute the claimed run; True when its task row was finished with the settle."""
        from .providers.base import bounded

        try:
            # The provider was chosen at the claim: the prompt budget is held by its count,
            # and a model whose provider cannot be reached fails rather than being answered
            # by another.
            if self.claim.refused is not None:
                raise self.claim.refused
            served = self.claim.served
            provider = served.provider
            try:
                request = build_request(self.run, provider, served.model)
            except PromptTooLong:
                self.settle(incomplete="max_prompt_tokens")
                return self.task_done
            if request.counted_prompt_tokens is not None:
                self.counter = PromptCounter(provider, served.model)
                self.counted = request.counted_prompt_tokens
            self.prompt_tokens = sum(
                tokens(m.content) + sum(tokens(c.arguments) for c in m.tool_calls)
                for m in request.messages
            )
            self.builtin = builtin_tools.BuiltinTools(self)
            while True:
                # max_completion_tokens spans the whole run: every call, before and after
                # tool outputs and the engine's own tool rounds, draws on what is left.
                left = self.completion_tokens_left()
                if left is not None and left <= 0:
                    self.finish_builtin()
                    self.settle(incomplete="max_completion_tokens")
                    return self.task_done
                request.max_completion_tokens = left
                for event in bounded(provider.stream(request)):
                    self.on_event(event)
                if self.builtin.pending:
                    self.flush(force=True)  # what the model said comes before the tool step
                # The engine runs built-in tool calls itself, then asks the model again.
                if not self.builtin.run_calls(request):
                    break
                if not self.prompt_fits(request):
                    self.finish_builtin()
                    self.settle(incomplete="max_prompt_tokens")
                    return self.task_done
            self.finish_builtin()
            self.settle()
        except Lost:
            self.after_lost()
        except ProviderError as error:
            self.fail(error.code, error.message)
        except Exception:
            logger.exception("Run %s failed", self.run.pk)
            self.fail("server_error", SERVER_ERROR_MESSAGE)
        return self.task_done

    def finish_builtin(self) -> None:
        assert self.builtin is not None
        if self.builtin.rounds:
            self.flush(force=True)  # the answer's annotations go on a written message
        self.builtin.finish()

    def completion_tokens_left(self) -> int | None:
        cap = self.run.max_completion_tokens
        if not cap:
            return None
        spent = (self.run.usage or {}).get("completion_tokens", 0)
        if self.builtin is not None:
            spent += sum(u["completion_tokens"] for u in self.builtin.usages)
        return cap - spent

    def prompt_fits(self, request: ChatRequest) -> bool:
        """A prompt grown by the engine's tool rounds must still fit max_prompt_tokens."""
        cap = self.run.max_prompt_tokens
        counter = self.counter
        if not cap or counter is None:
            return True
        size = counter.exact(request.messages, request.tools)
        if size is None:
            size = counter.unit(request.messages) + counter.text(json.dumps(request.tools))
        return size <= cap - margin(cap)

    # -- events --------------------------------------------------------------------------------

    def on_event(self, event: Any) -> None:
        if isinstance(event, TextDelta):
            if event.text:
                self.text += event.text
                self.show("message")
        elif isinstance(event, ToolCallDelta):
            if self.builtin is not None and self.builtin.claims(event):
                return
            call = self.calls.setdefault(event.index, _Call(id=event.id or call_id()))
            if event.id:
                call.id = event.id
            call.name = event.name or call.name
            call.arguments += event.arguments
            self.show("tools")
        elif isinstance(event, Usage):
            self.usage = _usage(event.prompt_tokens, event.completion_tokens, event.estimated)
            if self.counter is not None and self.counted and not event.estimated:
                self.counter.learn(self.counted, event.prompt_tokens)
                self.counted = 0  # the first call's prompt only: later ones grew here
        elif isinstance(event, Finish):
            self.finish = event.reason

    def show(self, kind: str) -> None:
        """The answer has more to show: text ("message") or function calls ("tools")."""
        if kind not in self.shown:
            if not self.shown:
                self.last_flush = time.monotonic()  # the first flush is due FLUSH_SECONDS on
            self.shown.append(kind)
        self.flush()

    def tool_calls_payload(self) -> list[dict[str, Any]]:
        return [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments, "output": None},
            }
            for _, call in sorted(self.calls.items())
        ]

    # -- writes --------------------------------------------------------------------------------

    def renew(self) -> None:
        """Fence and heartbeat in one: the run must still be ours and in progress."""
        now = timezone.now()
        if not self.fenced().update(lease_expires_at=lease_deadline(now), updated_at=now):
            raise Lost

    def new_step(self, kind: str, details: dict[str, Any], **fields: Any) -> RunStep:
        return RunStep.objects.create(
            run_id=self.run.pk,
            thread_id=self.run.thread_id,
            assistant_id=self.run.assistant_id,
            type=kind,
            step_details=details,
            **fields,
        )

    def unwritten(self) -> bool:
        return (
            (self.message is None and "message" in self.shown)
            or (self.tool_step is None and "tools" in self.shown)
            or (self.message is not None and self.text != self.flushed_text)
            or (
                self.tool_step is not None
                and json.dumps(self.tool_calls_payload()) != self.flushed_calls
            )
        )

    def flush(self, *, force: bool = False) -> None:
        """Write what the answer added since the last flush: at most every FLUSH_SECONDS
        (`force`: now), each time fenced, and wake the stream followers."""
        if not force and time.monotonic() - self.last_flush < FLUSH_SECONDS:
            return
        if not self.unwritten():
            return
        with transaction.atomic():
            self.renew()
            self.write_answer()
        self.last_flush = time.monotonic()
        wakeup.run_changed(self.run.pk)

    def write_answer(
        self,
        message_end: dict[str, Any] | None = None,
        message_step_end: dict[str, Any] | None = None,
        tool_step_end: dict[str, Any] | None = None,
    ) -> None:
        """Create what the answer has begun, in the order it began (already ended with the
        `*_end` fields, when given), and bring the rest up to date."""
        for kind in self.shown:
            if kind == "message" and self.message is None:
                self.message = Message.objects.create(
                    thread_id=self.run.thread_id,
                    role="assistant",
                    content=Message.text_content(self.text),
                    assistant_id=self.run.assistant_id,
                    run_id=self.run.pk,
                    attachments=[],
                    **(message_end or {"status": Message.IN_PROGRESS}),
                )
                self.flushed_text = self.text
                self.message_step = self.new_step(
                    RunStep.MESSAGE_CREATION,
                    {
                        "type": "message_creation",
                        "message_creation": {"message_id": self.message.id},
                    },
                    **(message_step_end or {}),
                )
            elif kind == "tools" and self.tool_step is None:
                payload = self.tool_calls_payload()
                self.tool_step = self.new_step(
                    RunStep.TOOL_CALLS,
                    {"type": "tool_calls", "tool_calls": payload},
                    **(tool_step_end or {}),
                )
                self.flushed_calls = json.dumps(payload)
        self.write_message_text()
        self.write_tool_calls()

    def write_message_text(self, **end: Any) -> None:
        """The written message's new text, with the `end` fields in the same update."""
        if self.message is None:
            return
        fields = dict(end)
        if self.text != self.flushed_text:
            fields["content"] = Message.text_content(self.text)
        if fields:
            Message.objects.filter(pk=self.message.pk).update(**fields)
            self.flushed_text = self.text

    def write_tool_calls(self, **end: Any) -> None:
        """The written tool step's calls as they now are, with the `end` fields."""
        if self.tool_step is None:
            return
        payload = self.tool_calls_payload()
        serialised = json.dumps(payload)
        fields = dict(end)
        if serialised != self.flushed_calls:
            fields["step_details"] = {"type": "tool_calls", "tool_calls": payload}
        if fields:
            RunStep.objects.filter(pk=self.tool_step.pk).update(**fields)
            self.flushed_calls = serialised

    def segment_usage(self) -> dict[str, int]:
        """The server's count; without one, nothing when the model said nothing (a refused
        connection costs no tokens), else an estimate marked as one."""
        if self.usage is not None:
            return self.usage
        if not self.text and not self.calls:
            return _usage(0, 0)
        completion = tokens(self.text) + sum(tokens(c.arguments) for c in self.calls.values())
        return _usage(self.prompt_tokens, completion, estimated=True)

    def close_task(self) -> None:
        finish_task(self.task_id)
        self.task_done = True

    def settle(self, *, incomplete: str | None = None) -> None:
        """The provider finished: complete, wait for tool outputs, or end incomplete. An
        answer not written yet is written here, already ended: one transaction in all."""
        now = timezone.now()
        usage = self.segment_usage()
        run_usage = _add_usage(self.run.usage, usage)
        if incomplete is None and self.finish == "length":
            incomplete = "max_completion_tokens"
        waiting = incomplete is None and bool(self.calls)
        run_fields: dict[str, Any] = {
            "usage": run_usage,
            "tokens": run_usage["total_tokens"],
            "lease_expires_at": None,
            "updated_at": now,
        }
        if waiting:
            tool_calls = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for _, c in sorted(self.calls.items())
            ]
            run_fields.update(
                status=Run.REQUIRES_ACTION,
                required_action={
                    "type": "submit_tool_outputs",
                    "submit_tool_outputs": {"tool_calls": tool_calls},
                },
                waiting_since=now,
                expires_at=now + timedelta(seconds=engine_setting("ENGINE_RUN_TTL_SECONDS")),
            )
        elif incomplete:
            run_fields.update(
                status=Run.INCOMPLETE,
                incomplete_details={"reason": incomplete},
                expires_at=None,
            )
        else:
            run_fields.update(status=Run.COMPLETED, completed_at=now, expires_at=None)
        if incomplete or self.finish == "content_filter":
            message_end: dict[str, Any] = {
                "status": Message.INCOMPLETE,
                "incomplete_at": now,
                "incomplete_details": {"reason": "max_tokens" if incomplete else "content_filter"},
            }
        else:
            message_end = {"status": Message.COMPLETED, "completed_at": now}
        has_tools = "tools" in self.shown
        message_step_end = {
            "status": RunStep.COMPLETED,
            "completed_at": now,
            "usage": _usage(0, 0) if has_tools else usage,
        }
        # A waiting tool step stays in progress until its outputs arrive.
        tool_step_end: dict[str, Any] = {"usage": usage}
        if not waiting:
            tool_step_end.update(status=RunStep.CANCELLED, cancelled_at=now)
        # As the claim read it: only this lease's holder changes the total.
        run = self.run
        before = (run.tokens, run.person_id, run.thread.created_by_key_id, run.created_at)
        with transaction.atomic():
            if not record_run_usage(self.fenced(), self.run.pk, run_fields, before):
                raise Lost
            # What a flush wrote ends with its last words, one update each; the rest is
            # written by write_answer already ended.
            if self.message_step is not None:
                RunStep.objects.filter(pk=self.message_step.pk).update(**message_step_end)
            self.write_message_text(**message_end)
            self.write_tool_calls(**tool_step_end)
            self.write_answer(message_end, message_step_end, tool_step_end)
            self.close_task()
        wakeup.run_changed(self.run.pk)

    def fail(self, code: str, message: str) -> None:
        error = {"code": code, "message": message}
        written = (
            self.message,
            self.message_step,
            self.tool_step,
            self.flushed_text,
            self.flushed_calls,
        )
        try:
            with transaction.atomic():
                self.write_answer()  # what the model said stays, marked incomplete
                closed = close_run(
                    self.fenced(),
                    self.run.pk,
                    Run.FAILED,
                    error=error,
                    usage=_add_usage(self.run.usage, self.segment_usage()),
                )
                if not closed:
                    raise Lost
                self.close_task()
        except Lost:
            # Rolled back: what write_answer created is not there.
            (
                self.message,
                self.message_step,
                self.tool_step,
                self.flushed_text,
                self.flushed_calls,
            ) = written
            self.after_lost()

    def after_lost(self) -> None:
        """Cancelled while executing: finish the cancel. Taken over: leave it alone."""
        with transaction.atomic():
            self.write_answer()
            closed = close_run(
                Run.objects.filter(pk=self.run.pk, status=Run.CANCELLING, claims=self.token),
                self.run.pk,
                Run.CANCELLED,
                usage=_add_usage(self.run.usage, self.segment_usage()),
            )
            if closed:
                self.close_task()
            else:
                # Taken over: its retry writes the answer again (one answer, not two).
                transaction.set_rollback(True)
