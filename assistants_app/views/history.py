"""An assistant's History: who created it, each change field by field, and who deleted it;
any recorded version can be restored."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .. import audit
from ..history_words import describe
from ..models import AuditEvent, Connection
from ..services import AssistantsError, NotFoundError
from ..services.types import Assistant
from . import backend, in_words

VERSIONS = [AuditEvent.Action.ASSISTANT_CREATED, AuditEvent.Action.ASSISTANT_CHANGED]


@require_GET
def assistant_history(request: HttpRequest, assistant_id: str) -> HttpResponse:
    connection = Connection.objects.default()
    events = AuditEvent.objects.for_assistant(connection, assistant_id).select_related("actor")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    name, exists = "", True
    try:
        assistant = backend(connection).assistants.retrieve(assistant_id)
        name = assistant.name or assistant.id
    except NotFoundError:
        exists = False
    except AssistantsError:
        pass  # the history is ours: show it even when the backend does not answer
    if not exists and not page.object_list:
        raise Http404("No such assistant.")
    for event in page.object_list:
        event.told = describe(event.changes)
        event.is_version = event.action in VERSIONS
    context = {
        "nav": "assistants",
        "assistant_id": assistant_id,
        "name": name or (page.object_list[0].object_label if page.object_list else assistant_id),
        "exists": exists,
        "events": page,
        "page_obj": page,
        "latest_pk": events.filter(action__in=VERSIONS).values_list("pk", flat=True).first(),
    }
    return render(request, "assistants/history.html", context)


@require_POST
def assistant_restore(request: HttpRequest, assistant_id: str, pk: int) -> HttpResponse:
    """Make the assistant as it was right after the save `pk`: every later recorded change is
    undone field by field (changes made outside Assistant Studio are kept)."""
    connection = Connection.objects.default()
    versions = AuditEvent.objects.for_assistant(connection, assistant_id).filter(
        action__in=VERSIONS
    )
    event = get_object_or_404(versions, pk=pk)
    client = backend(connection)
    try:
        current = client.assistants.retrieve(assistant_id)
    except NotFoundError as error:
        raise Http404("No such assistant.") from error
    later = versions.filter(Q(at__gt=event.at) | Q(at=event.at, pk__gt=event.pk)).order_by(
        "-at", "-pk"
    )
    now = audit.assistant_values(current)
    values = dict(now)
    for change in later:  # newest first, back to the version asked for
        for name, (before, _after) in change.changes.items():
            values[name] = before
    changed = [name for name in audit.ASSISTANT_FIELDS if values.get(name) != now.get(name)]
    when = timezone.localtime(event.at).strftime("%-d %b %Y, %H:%M:%S")
    if not changed:
        messages.info(request, f"The assistant is already as it was on {when}.")
        return redirect("assistant_history", assistant_id)
    restored = Assistant.model_validate(
        {**current.model_dump(mode="json", by_alias=True), **values}
    )
    body = restored.model_dump(mode="json", by_alias=True, exclude_none=True, include=set(changed))
    body = {name: body.get(name) for name in changed}  # a field emptied since is sent as null
    try:
        saved = client.assistants.update(assistant_id, **body)
    except AssistantsError as error:
        messages.error(request, f"Could not restore that version. {in_words(error)}")
        return redirect("assistant_history", assistant_id)
    audit.assistant_saved(connection, request.user, current, saved)
    messages.success(request, f"Restored the version of {when}.")
    return redirect("assistant_history", assistant_id)
