"""Connections (administrators): the backends the dashboard talks to. Add, edit, delete,
choose the default, and "Test connection". An API key is write-only: pages show it masked."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..audit import team_change
from ..models import AuditEvent, Connection, field_changes
from ..roles import MANAGE_CONNECTIONS
from ..team_forms import ConnectionForm

Action = AuditEvent.Action
admins_only = permission_required(MANAGE_CONNECTIONS, raise_exception=True)
CONNECTION = AuditEvent.CONNECTION
AUDITED_FIELDS = [
    "name", "kind", "base_url", "api_key", "organization", "project", "api_version",
    "default_model",
]  # fmt: skip


@require_GET
@admins_only
def connection_list(request: HttpRequest) -> HttpResponse:
    return render(request, "connections/list.html", _list_context())


@require_http_methods(["GET", "POST"])
@admins_only
def connection_add(request: HttpRequest) -> HttpResponse:
    return _form_page(request, Connection(created_by=request.user))


@require_http_methods(["GET", "POST"])
@admins_only
def connection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_object_or_404(Connection, pk=pk))


@require_http_methods(["GET", "POST"])
@admins_only
def connection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    threads = connection.threads.count()
    reason = ""
    if connection.is_default:
        reason = "This is the default connection: make another one the default first."
    elif threads:
        reason = (
            f"{threads} thread{'s' if threads != 1 else ''} use this connection; "
            "it can be deleted once they are."
        )
    context = {"nav": "team", "connection": connection, "reason": reason}
    if request.method == "POST":
        if reason:
            return render(request, "connections/confirm_delete.html", context, status=422)
        team_change(request, Action.CONNECTION_DELETED, CONNECTION, connection.pk, connection.name)
        connection.delete()
        messages.success(request, f"Deleted the connection {connection.name}.")
        return redirect("connection_list")
    return render(request, "connections/confirm_delete.html", context)


@require_POST
@admins_only
def connection_default(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    if not connection.is_default:
        connection.make_default()
        team_change(
            request, Action.CONNECTION_MADE_DEFAULT, CONNECTION, connection.pk, connection.name
        )
    messages.success(request, f"Assistants and new chats now use {connection.name}.")
    return redirect("connection_list")


@require_POST
@admins_only
def connection_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the backend for its models and its assistants, and say in words what happened."""
    connection = get_object_or_404(Connection, pk=pk)
    context = {"connection": connection, "result": connection.test()}
    if request.htmx:
        return render(request, "connections/list.html#test_result", context)
    return render(request, "connections/list.html", {**_list_context(), **context})


def _list_context() -> dict[str, Any]:
    Connection.objects.default()  # the built-in engine exists until another is chosen
    return {
        "nav": "team",
        "connections": Connection.objects.all(),
        "engine_base_url": settings.ENGINE_BASE_URL,
    }


def _form_page(request: HttpRequest, connection: Connection) -> HttpResponse:
    """The connection form, for a new connection or an existing one; saved changes go to the
    audit trail field by field."""
    adding = connection.pk is None
    before = {} if adding else _snapshot(connection)
    form = ConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        connection = form.save()
        action = Action.CONNECTION_CREATED if adding else Action.CONNECTION_CHANGED
        if (changes := _changes(before, connection)) or adding:
            team_change(
                request, action, CONNECTION, connection.pk, connection.name, changes=changes
            )
        messages.success(
            request,
            f"Added the connection {connection.name}. Test it below."
            if adding
            else f"Saved the connection {connection.name}.",
        )
        return redirect("connection_list")
    context = {"nav": "team", "form": form, "connection": None if adding else connection}
    return render(request, "connections/form.html", context, status=422 if form.errors else 200)


def _snapshot(connection: Connection) -> dict[str, Any]:
    values = {name: getattr(connection, name) for name in AUDITED_FIELDS}
    values["api_key"] = connection.masked_api_key  # the trail never holds a secret
    return values


def _changes(before: dict[str, Any], connection: Connection) -> dict[str, list]:
    changes = field_changes(before, _snapshot(connection), AUDITED_FIELDS)
    return {name: pair for name, pair in changes.items() if any(pair)}  # not None → ""
