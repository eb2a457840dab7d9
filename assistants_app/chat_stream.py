"""A reply as it streams: what the page needs from each stream event, as SSE for stream.js.

Pure rendering, no I/O: views/stream.py feeds it the run's events and writes what it returns.

The growing message is Markdown rendered server-side and sanitised (rendering.render_markdown),
never raw text for the browser to interpret. To keep long replies linear, the text is split
where its blocks can no longer change (a blank line outside a code fence, followed by a line
that neither continues a list nor is indented): each settled block is rendered and sent once,
to be appended, and only the tail after it is re-rendered. Renders are throttled by time, to
at most one per `interval`, which grows with the cost of the last render (so a long tail is
not re-rendered on every token); the last text is always sent when the message or run ends.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string

from .rendering import render_markdown
from .services.types import (
    AssistantStreamEvent,
    CodeInterpreterToolCall,
    CodeInterpreterToolCallDelta,
    FileSearchToolCall,
    FileSearchToolCallDelta,
    FunctionToolCall,
    FunctionToolCallDelta,
    MessageDeltaEvent,
    MessageEvent,
    RunStep,
    RunStepDeltaEvent,
    RunStepEvent,
    ToolCallsStepDetails,
    ToolCallsStepDetailsDelta,
)

MIN_INTERVAL = 0.03  # seconds between two renders of one message, at least
STEP_TEMPLATE = "threads/detail.html#live_step"
MESSAGE_TEMPLATE = "threads/detail.html#live_message"

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CONTINUES = re.compile(r"[ \t>]|[-*+](\s|$)|\d{1,9}[.)](\s|$)")


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def settled_end(text: str, start: int) -> int:
    """How far `text` (read from `start`, a block boundary) is made of blocks that later text
    cannot change: the start of the last complete line that begins a new block after a blank
    line, outside any code fence. `start` when there is none."""
    end = start
    fence: str | None = None
    blank_before = False
    offset = start
    lines = text[start:].split("\n")
    for line in lines[:-1]:  # the last line may still be growing
        opener = _FENCE.match(line)
        if fence is None and blank_before and line.strip() and not _CONTINUES.match(line):
            end = offset
        if opener and (fence is None or opener.group(1).startswith(fence)):
            fence = None if fence else opener.group(1)[:3]
        blank_before = fence is None and not line.strip()
        offset += len(line) + 1
    return end


@dataclass
class LiveMessage:
    id: str
    text: str = ""
    settled: int = 0  # text[:settled] has been sent as final blocks
    dirty: bool = False
    rendered_at: float = 0.0
    interval: float = MIN_INTERVAL

    def update(self, now: float, *, force: bool = False) -> bytes:
        if not self.dirty or (not force and now - self.rendered_at < self.interval):
            return b""
        began = time.perf_counter()
        end = settled_end(self.text, self.settled)
        settled = render_markdown(self.text[self.settled : end]) if end > self.settled else ""
        self.settled = end
        tail = render_markdown(self.text[end:])
        cost = time.perf_counter() - began
        self.dirty, self.rendered_at = False, now
        self.interval = max(MIN_INTERVAL, 3 * cost)
        return sse("text", {"id": f"part-{self.id}", "settled": settled, "tail": tail})


@dataclass
class LiveCall:
    type: str
    name: str = ""
    arguments: str = ""
    code: str = ""
    results: int | None = None  # file_search: how many results, once known


@dataclass
class LiveStep:
    id: str
    status: str = "in_progress"
    calls: dict[int, LiveCall] = field(default_factory=dict)
    dirty: bool = True
    rendered_at: float = 0.0

    def merge(self, delta: ToolCallsStepDetailsDelta) -> None:
        for piece in delta.tool_calls or []:
            call = self.calls.setdefault(piece.index, LiveCall(type=piece.type))
            if isinstance(piece, FunctionToolCallDelta) and piece.function:
                call.name = piece.function.name or call.name
                call.arguments += piece.function.arguments or ""
            elif isinstance(piece, CodeInterpreterToolCallDelta) and piece.code_interpreter:
                call.code += piece.code_interpreter.input or ""
            elif isinstance(piece, FileSearchToolCallDelta) and piece.file_search:
                results = piece.file_search.get("results")
                call.results = len(results) if isinstance(results, list) else call.results
            self.dirty = True

    def replace(self, step: RunStep) -> None:
        """The step as the backend last reported it (created, completed, failed…)."""
        self.status, self.dirty = step.status, True
        if not isinstance(step.step_details, ToolCallsStepDetails):
            return
        for index, item in enumerate(step.step_details.tool_calls):
            call = self.calls.setdefault(index, LiveCall(type=getattr(item, "type", "tool")))
            if isinstance(item, FunctionToolCall):
                call.name, call.arguments = item.function.name, item.function.arguments
            elif isinstance(item, CodeInterpreterToolCall):
                call.code = item.code_interpreter.input
            elif isinstance(item, FileSearchToolCall) and item.file_search.results is not None:
                call.results = len(item.file_search.results)

    def update(self, now: float, *, force: bool = False) -> bytes:
        if not self.dirty or (not force and now - self.rendered_at < MIN_INTERVAL):
            return b""
        self.dirty, self.rendered_at = False, now
        context = {"step": self, "calls": [self.calls[i] for i in sorted(self.calls)]}
        return sse(
            "part", {"id": f"part-{self.id}", "html": render_to_string(STEP_TEMPLATE, context)}
        )


@dataclass
class LiveReply:
    """Messages and tool steps of one run as they appear, in order (`feed` each event)."""

    clock: Callable[[], float] = time.monotonic
    messages: dict[str, LiveMessage] = field(default_factory=dict)
    steps: dict[str, LiveStep] = field(default_factory=dict)

    def feed(self, event: AssistantStreamEvent) -> bytes:
        """What the page needs after `event` (often nothing yet: the render is throttled)."""
        now = self.clock()
        if isinstance(event, MessageEvent):
            return self._message(event, now)
        if isinstance(event, MessageDeltaEvent):
            message = self.messages.get(event.data.id)
            if message is None:  # a delta before its message.created: open it here
                message = self.messages[event.data.id] = LiveMessage(event.data.id)
            message.text += event.data.text
            message.dirty = True
            return message.update(now)
        if isinstance(event, RunStepEvent) and event.data.type == "tool_calls":
            step = self.steps.setdefault(event.data.id, LiveStep(event.data.id))
            step.replace(event.data)
            return step.update(now, force=True)
        if isinstance(event, RunStepDeltaEvent):
            details = event.data.delta.step_details
            step = self.steps.get(event.data.id)
            if step is not None and isinstance(details, ToolCallsStepDetailsDelta):
                step.merge(details)
                return step.update(now)
        return b""

    def _message(self, event: MessageEvent, now: float) -> bytes:
        opening = event.data.id not in self.messages
        message = self.messages.setdefault(event.data.id, LiveMessage(event.data.id))
        out = b""
        if opening:
            html = render_to_string(MESSAGE_TEMPLATE, {"id": event.data.id})
            out = sse("part", {"id": f"part-{event.data.id}", "html": html})
        if event.event in ("thread.message.completed", "thread.message.incomplete"):
            out += message.update(now, force=True)
        return out

    def flush(self) -> bytes:
        """Everything not sent yet (the run stopped, or the stream is about to end)."""
        now = self.clock()
        parts = [m.update(now, force=True) for m in self.messages.values()]
        parts += [s.update(now, force=True) for s in self.steps.values()]
        return b"".join(parts)
