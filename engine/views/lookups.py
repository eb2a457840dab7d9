"""Objects by id, or the API's 404 ("No assistant found with id 'asst_x'.")."""

from __future__ import annotations

from ..api import not_found
from ..models import Assistant, Message, Run, RunStep, Thread


def assistant(assistant_id: str) -> Assistant:
    found = Assistant.objects.filter(pk=assistant_id).first()
    if found is None:
        raise not_found("assistant", assistant_id)
    return found


def thread(thread_id: str) -> Thread:
    found = Thread.objects.filter(pk=thread_id).first()
    if found is None:
        raise not_found("thread", thread_id)
    return found


def message(parent: Thread, message_id: str) -> Message:
    found = parent.messages.filter(pk=message_id).first()
    if found is None:
        raise not_found("message", message_id)
    return found


def run(parent: Thread, run_id: str) -> Run:
    found = parent.runs.filter(pk=run_id).first()
    if found is None:
        raise not_found("run", run_id)
    found.expire_if_due()
    return found


def step(parent: Run, step_id: str) -> RunStep:
    found = parent.steps.filter(pk=step_id).first()
    if found is None:
        raise not_found("run step", step_id)
    return found
