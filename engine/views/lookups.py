"""Objects by id, or the API's 404 ("No assistant found with id 'asst_x'.")."""

from __future__ import annotations

from ..api import get_or_404
from ..models import Assistant, Message, Run, RunStep, Thread


def assistant(assistant_id: str) -> Assistant:
    return get_or_404(Assistant.objects.all(), "assistant", assistant_id)


def thread(thread_id: str) -> Thread:
    return get_or_404(Thread.objects.all(), "thread", thread_id)


def message(parent: Thread, message_id: str) -> Message:
    return get_or_404(parent.messages.all(), "message", message_id)


def run(parent: Thread, run_id: str) -> Run:
    found = get_or_404(parent.runs.all(), "run", run_id)
    found.expire_if_due()
    return found


def step(parent: Run, step_id: str) -> RunStep:
    return get_or_404(parent.steps.all(), "run step", step_id)
