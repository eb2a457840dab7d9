"""An assistant's History: who created it, each change field by field, and who deleted it."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import AuditEvent, Connection
from ..services import AssistantsError, NotFoundError
from . import backend


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
    context = {
        "nav": "assistants",
        "assistant_id": assistant_id,
        "name": name or (page.object_list[0].object_label if page.object_list else assistant_id),
        "exists": exists,
        "events": page,
        "page_obj": page,
    }
    return render(request, "assistants/history.html", context)
