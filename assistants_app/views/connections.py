"""Connections (administrators): the backends the dashboard talks to. Add, edit, delete,
choose the default, and "Test connection". An API key is write-only: pages show it masked."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..models import AuditEvent, Connection, field_changes
from ..roles import MANAGE_CONNECTIONS
from ..services import AssistantsError, AuthenticationError, NotFoundError, client_for
from ..signals import client_ip
from ..team_forms import ConnectionForm
from . import in_words

Action = AuditEvent.Action
admins_only = permission_required(MANAGE_CONNECTIONS, raise_exception=True)
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
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        connection = form.save(commit=False)
        connection.created_by = request.user
        connection.save()
        _audit(request, Action.CONNECTION_CREATED, connection, changes=_changes({}, connection))
        messages.success(request, f"Added the connection {connection.name}. Test it below.")
        return redirect("connection_list")
    return _form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@admins_only
def connection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    before = _snapshot(connection)
    form = ConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        connection = form.save()
        if changes := _changes(before, connection):
            _audit(request, Action.CONNECTION_CHANGED, connection, changes=changes)
        messages.success(request, f"Saved the connection {connection.name}.")
        return redirect("connection_list")
    return _form_page(request, form, connection)


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
        _audit(request, Action.CONNECTION_DELETED, connection)
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
        _audit(request, Action.CONNECTION_MADE_DEFAULT, connection)
    messages.success(request, f"Assistants and new chats now use {connection.name}.")
    return redirect("connection_list")


@require_POST
@admins_only
def connection_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the backend for its models and its assistants, and say in words what happened."""
    connection = get_object_or_404(Connection, pk=pk)
    context = {"connection": connection, "result": test_connection(connection)}
    if request.htmx:
        return render(request, "connections/list.html#test_result", context)
    return render(request, "connections/list.html", {**_list_context(), **context})


def test_connection(connection: Connection) -> dict[str, Any]:
    """{"ok": bool, "words": str}: never the API key, even if a backend echoes it."""
    client = client_for(connection, max_retries=0, timeout=10)
    started = time.monotonic()
    try:
        assistants = client.assistants.list(limit=100)
    except AuthenticationError:
        return _result(connection, False, "The backend rejected the API key (HTTP 401).")
    except NotFoundError:
        return _result(
            connection,
            False,
            "The server answered, but not as an Assistants API: /assistants was not found "
            "(HTTP 404). Check that the address ends with the API's version, e.g. /v1.",
        )
    except AssistantsError as error:
        return _result(connection, False, in_words(error))
    elapsed = (time.monotonic() - started) * 1000
    count = f"more than {len(assistants.data)}" if assistants.has_more else len(assistants.data)
    words = f"Connected in {elapsed:.0f} ms. It has {count} assistant{'s' if count != 1 else ''}"
    try:
        models = [model.id for model in client.models.list().data]
    except AssistantsError:
        words += "; it does not list its models (that is allowed)."
    else:
        shown = ", ".join(models[:5]) + (", …" if len(models) > 5 else "")
        words += f" and offers {len(models)} model{'s' if len(models) != 1 else ''}"
        words += f": {shown}." if models else "."
    return _result(connection, True, words)


def _result(connection: Connection, ok: bool, words: str) -> dict[str, Any]:
    secret = connection.api_key or ""
    if len(secret) >= 8:  # a backend may quote the key it refused
        words = words.replace(secret, connection.masked_api_key)
    return {"ok": ok, "words": words}


def _list_context() -> dict[str, Any]:
    Connection.objects.default()  # the built-in engine exists until another is chosen
    return {
        "nav": "team",
        "connections": Connection.objects.all(),
        "engine_base_url": settings.ENGINE_BASE_URL,
    }


def _form_page(request: HttpRequest, form: ConnectionForm, connection) -> HttpResponse:
    context = {"nav": "team", "form": form, "connection": connection}
    return render(request, "connections/form.html", context, status=422 if form.errors else 200)


def _snapshot(connection: Connection) -> dict[str, Any]:
    values = {name: getattr(connection, name) for name in AUDITED_FIELDS}
    values["api_key"] = connection.masked_api_key  # the trail never holds a secret
    return values


def _changes(before: dict[str, Any], connection: Connection) -> dict[str, list]:
    changes = field_changes(before, _snapshot(connection), AUDITED_FIELDS)
    return {name: pair for name, pair in changes.items() if any(pair)}  # not None → ""


def _audit(request: HttpRequest, action: str, connection: Connection, **extra: Any) -> None:
    AuditEvent.record(
        action,
        actor=request.user,
        object_type=AuditEvent.CONNECTION,
        object_id=connection.pk,
        label=connection.name,
        ip_address=client_ip(request),
        **extra,
    )
