"""/v1/threads: create (with messages), retrieve, modify, delete; and create-thread-and-run."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from .. import streaming, usage
from ..api import body, endpoint, ok, shown_or_deleted
from ..files.tools import create_helper_stores
from ..models import Principal, Thread
from ..providers import check_model
from ..schemas import CreateThread, CreateThreadAndRun, ModifyThread, dump
from . import lookups
from .runs import run_config, run_response


def _create_thread(key: Principal, data: CreateThread | None) -> Thread:
    """A thread of `key`'s (None: the dashboard's), seen by nobody else."""
    data = data or CreateThread()
    resources = dump(data.tool_resources) if data.tool_resources is not None else {}
    lookups.resources(key, resources)
    messages = [message.message_fields() for message in data.messages]
    for fields in messages:
        lookups.attachments(key, fields)
    thread = Thread.objects.create(
        metadata=data.metadata or {},
        tool_resources=create_helper_stores(resources, key, private=True),
        created_by_key=key,
    )
    for fields in messages:
        thread.add_message(**fields)
    return thread


@endpoint("POST")
def threads(request: HttpRequest) -> HttpResponse:
    data = body(request, CreateThread)
    with transaction.atomic():
        thread = _create_thread(request.engine_key, data)
    return ok(thread.to_api())


@endpoint("GET", "POST", "DELETE")
def thread(request: HttpRequest, thread_id: str) -> HttpResponse:
    found = lookups.thread(request.engine_key, thread_id)
    if request.method != "POST":
        return shown_or_deleted(request, found, "thread.deleted")
    data = body(request, ModifyThread)
    if "metadata" in data.model_fields_set:
        found.metadata = data.metadata or {}
    if "tool_resources" in data.model_fields_set:
        resources = dump(data.tool_resources)
        lookups.resources(request.engine_key, resources, before=found.tool_resources)
        found.tool_resources = resources
    found.save(update_fields=["metadata", "tool_resources"])
    return ok(found.to_api())


@endpoint("POST")
def thread_and_run(request: HttpRequest) -> HttpResponse:
    key = request.engine_key
    data = body(request, CreateThreadAndRun)
    assistant = lookups.assistant(key, data.assistant_id)
    check_model(data.model or assistant.model)
    person = usage.admit(request)  # whose budget it draws on; refused when used up
    with transaction.atomic():
        new_thread = _create_thread(key, data.thread)
        if data.tool_resources is not None and not new_thread.tool_resources:
            resources = dump(data.tool_resources)
            lookups.resources(key, resources)
            new_thread.tool_resources = create_helper_stores(resources, key, private=True)
            new_thread.save(update_fields=["tool_resources"])
        run = new_thread.start_run(assistant, **run_config(data), person_id=person)
    if data.stream:
        prelude = [
            streaming.sse("thread.created", new_thread.to_api()),
            streaming.sse("thread.run.created", run.to_api()),
            streaming.sse("thread.run.queued", run.to_api()),
        ]
        return streaming.run_stream(run, prelude=prelude)
    return run_response(run)
