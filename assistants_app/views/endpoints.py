"""Endpoints (administrators): HTTP endpoints that may answer function calls, "Test", and for
each function of an assistant how its calls are answered."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import endpoints
from ..models import Connection, Endpoint, FunctionAnswering
from ..roles import MANAGE_CONNECTIONS
from ..services import AssistantsError
from ..waiting_forms import EndpointForm, FunctionAnsweringForm
from . import backend, in_words

admins_only = permission_required(MANAGE_CONNECTIONS, raise_exception=True)


@require_GET
@admins_only
def endpoint_list(request: HttpRequest) -> HttpResponse:
    context = {"nav": "team", "endpoints": Endpoint.objects.all()}
    return render(request, "endpoints/list.html", context)


@require_http_methods(["GET", "POST"])
@admins_only
def endpoint_add(request: HttpRequest) -> HttpResponse:
    return _form_page(request, Endpoint(created_by=request.user))


@require_http_methods(["GET", "POST"])
@admins_only
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_object_or_404(Endpoint, pk=pk))


def _form_page(request: HttpRequest, endpoint: Endpoint) -> HttpResponse:
    form = EndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved the endpoint “{endpoint.name}”.")
        return redirect("endpoint_list")
    context = {"nav": "team", "form": form, "endpoint": endpoint}
    return render(request, "endpoints/form.html", context)


@require_POST
@admins_only
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if FunctionAnswering.objects.filter(endpoint=endpoint).exists():
        messages.error(request, f"Functions are answered by “{endpoint.name}”: change them first.")
    else:
        endpoint.delete()
        messages.success(request, f"Deleted the endpoint “{endpoint.name}”.")
    return redirect("endpoint_list")


@require_POST
@admins_only
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a sample call and show what came back (or why nothing did)."""
    endpoint = get_object_or_404(Endpoint, pk=pk)
    result = endpoints.call(endpoint, endpoints.SAMPLE_CALL)
    context = {"endpoint": endpoint, "result": result}
    if request.htmx:
        return render(request, "endpoints/list.html#test_result", context)
    if result["ok"]:
        messages.success(request, f"{endpoint.name} answered in {result['ms']} ms.")
    else:
        messages.error(request, f"{endpoint.name}: {result['error']}")
    return redirect("endpoint_list")


@require_http_methods(["GET", "POST"])
@admins_only
def assistant_answering(request: HttpRequest, assistant_id: str) -> HttpResponse:
    """For each function of the assistant: by a person, or by an endpoint (with approval, or
    automatically)."""
    connection = Connection.objects.default()
    context = {"nav": "assistants", "assistant_id": assistant_id, "rows": []}
    try:
        assistant = backend(connection).assistants.retrieve(assistant_id)
    except AssistantsError as error:
        context["error"] = in_words(error)
        return render(request, "endpoints/answering.html", context, status=404)
    names = [t.function.name for t in assistant.tools if getattr(t, "type", "") == "function"]
    stored = {
        a.function_name: a
        for a in FunctionAnswering.objects.filter(connection=connection, assistant_id=assistant_id)
    }
    forms = []
    for name in names:
        now = stored.get(name)
        initial = {"mode": now.mode, "endpoint": now.endpoint_id} if now else {"mode": "person"}
        data = request.POST if request.method == "POST" else None
        forms.append((name, FunctionAnsweringForm(data, initial=initial, prefix=f"f-{name}")))
    if request.method == "POST" and all(form.is_valid() for _, form in forms):
        for name, form in forms:
            FunctionAnswering.objects.update_or_create(
                connection=connection,
                assistant_id=assistant_id,
                function_name=name,
                defaults={
                    "mode": form.cleaned_data["mode"],
                    "endpoint": form.cleaned_data["endpoint"],
                    "changed_by": request.user,
                },
            )
        messages.success(request, "Saved how the functions are answered.")
        return redirect("assistant_answering", assistant_id=assistant_id)
    context.update(assistant=assistant, rows=forms)
    return render(request, "endpoints/answering.html", context)
