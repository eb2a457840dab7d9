"""/v1/threads/{thread_id}/messages: create, list (with run_id), retrieve, modify, delete."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from ..api import ApiError, body, endpoint, ok, paginate, shown_or_deleted
from ..models import Thread
from ..schemas import CreateMessage, ModifyMetadata
from . import lookups


@endpoint("GET", "POST")
def messages(request: HttpRequest, thread_id: str) -> HttpResponse:
    found = lookups.thread(request.engine_key, thread_id)
    if request.method == "GET":
        listed = found.messages.all()
        if run_id := request.GET.get("run_id"):
            listed = listed.filter(run_id=run_id)
        return paginate(request, listed)
    data = body(request, CreateMessage)
    fields = data.message_fields()
    lookups.attachments(request.engine_key, fields)
    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=found.pk)
        if active := locked.active_run():
            raise ApiError(
                400, f"Can't add messages to {locked.id} while a run {active.id} is active."
            )
        message = locked.add_message(**fields)
    return ok(message.to_api())


@endpoint("GET", "POST", "DELETE")
def message(request: HttpRequest, thread_id: str, message_id: str) -> HttpResponse:
    found = lookups.message(lookups.thread(request.engine_key, thread_id), message_id)
    if request.method != "POST":
        return shown_or_deleted(request, found, "thread.message.deleted")
    data = body(request, ModifyMetadata)
    if "metadata" in data.model_fields_set:
        found.metadata = data.metadata or {}
        found.save(update_fields=["metadata"])
    return ok(found.to_api())
