"""/v1/assistants: create, list, retrieve, modify, delete."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from ..api import body, endpoint, ok, paginate, shown_or_deleted
from ..files.tools import create_helper_stores
from ..models import Assistant
from ..providers import check_model
from ..schemas import CreateAssistant, ModifyAssistant
from . import lookups


@endpoint("GET", "POST")
def assistants(request: HttpRequest) -> HttpResponse:
    key = request.engine_key
    if request.method == "GET":
        return paginate(request, Assistant.objects.visible_to_key(key))
    values = body(request, CreateAssistant).values()
    check_model(values["model"])
    values.setdefault("metadata", {})
    if values.get("response_format") is None:
        values["response_format"] = "auto"
    lookups.resources(key, values.get("tool_resources"))
    with transaction.atomic():
        if values.get("tool_resources"):
            # An assistant is the team's, and so is the store its helper makes.
            values["tool_resources"] = create_helper_stores(
                values["tool_resources"], key, private=False
            )
        return ok(Assistant.objects.create(**values, created_by_key=key).to_api())


@endpoint("GET", "POST", "DELETE")
def assistant(request: HttpRequest, assistant_id: str) -> HttpResponse:
    key = request.engine_key
    found = lookups.assistant(key, assistant_id, write=request.method != "GET")
    if request.method != "POST":
        return shown_or_deleted(request, found, "assistant.deleted")
    values = body(request, ModifyAssistant).values()
    if "model" in values:
        check_model(values["model"])
    if "tool_resources" in values:
        lookups.resources(key, values["tool_resources"], before=found.tool_resources)
    for name, value in values.items():
        setattr(found, name, value)
    found.save()
    return ok(found.to_api())
