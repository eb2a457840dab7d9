"""/v1/assistants: create, list, retrieve, modify, delete."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from ..api import body, endpoint, ok, paginate
from ..files.tools import create_helper_stores
from ..models import Assistant
from ..schemas import CreateAssistant, ModifyAssistant
from . import lookups


@endpoint("GET", "POST")
def assistants(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return paginate(request, Assistant.objects.all())
    values = body(request, CreateAssistant).values()
    values.setdefault("metadata", {})
    if values.get("response_format") is None:
        values["response_format"] = "auto"
    with transaction.atomic():
        if values.get("tool_resources"):
            values["tool_resources"] = create_helper_stores(values["tool_resources"])
        return ok(Assistant.objects.create(**values).to_api())


@endpoint("GET", "POST", "DELETE")
def assistant(request: HttpRequest, assistant_id: str) -> HttpResponse:
    found = lookups.assistant(assistant_id)
    if request.method == "GET":
        return ok(found.to_api())
    if request.method == "DELETE":
        found.delete()
        return ok({"id": assistant_id, "object": "assistant.deleted", "deleted": True})
    for name, value in body(request, ModifyAssistant).values().items():
        setattr(found, name, value)
    found.save()
    return ok(found.to_api())
