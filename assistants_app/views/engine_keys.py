"""Engine keys (administrators): API keys for the built-in engine's /v1, for code that uses the
SDK. A new key is shown once; afterwards only its name, prefix and last use are.

A key sees only the threads and files it made; what it may do with the team's assistants and
vector stores made elsewhere (none, read, read and write) is set here, per key."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ..audit import team_change
from ..models import AuditEvent
from ..roles import MANAGE_ENGINE_KEYS
from ..team_forms import EngineKeyForm, TeamAccessForm
from . import found

admins_only = permission_required(MANAGE_ENGINE_KEYS, raise_exception=True)


@require_GET
@admins_only
def engine_key_list(request: HttpRequest) -> HttpResponse:
    return _page(request, EngineKeyForm())


@require_POST
@admins_only
def engine_key_create(request: HttpRequest) -> HttpResponse:
    from engine import keys  # the engine's key service: the dashboard never touches its models

    form = EngineKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    key, raw = keys.create_key(form.cleaned_data["name"], created_by=request.user)
    team_change(
        request, AuditEvent.Action.ENGINE_KEY_CREATED, AuditEvent.ENGINE_KEY, key.id, _label(key)
    )
    # The raw key is in this response only: no redirect, no message cookie, no log.
    return _page(request, EngineKeyForm(), new_key=key, raw_key=raw, status=201)


@require_POST
@admins_only
def engine_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    from engine import keys

    key = found(keys.revoke_key(key_id), "key")
    team_change(
        request, AuditEvent.Action.ENGINE_KEY_REVOKED, AuditEvent.ENGINE_KEY, key.id, _label(key)
    )
    messages.success(request, f"Revoked the key {key.name}: it stops working at once.")
    return redirect("engine_key_list")


@require_POST
@admins_only
def engine_key_access(request: HttpRequest, key_id: int) -> HttpResponse:
    from engine import keys

    form = TeamAccessForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what the key may do with the team's assistants.")
        return _page(request, EngineKeyForm(), status=422)
    key, before = found(keys.set_team_access(key_id, form.cleaned_data["team_access"]), "key")
    if key.team_access != before:
        changes = {"team_access": [before, key.team_access]}
        team_change(
            request,
            AuditEvent.Action.ENGINE_KEY_CHANGED,
            AuditEvent.ENGINE_KEY,
            key.id,
            _label(key),
            changes=changes,
        )
    messages.success(
        request, f"The key {key.name} now has this team access: {key.team_access_label}."
    )
    return redirect("engine_key_list")


def _page(request: HttpRequest, form: EngineKeyForm, status: int = 200, **extra) -> HttpResponse:
    from django.conf import settings

    from engine import keys

    context = {
        "nav": "team",
        "form": form,
        "keys": keys.list_keys(),
        "access_choices": keys.TEAM_ACCESS_CHOICES,
        "engine_base_url": request.build_absolute_uri("/v1"),
        "rate_limit": settings.ENGINE_RATE_LIMIT_REQUESTS,
        "rate_window": settings.ENGINE_RATE_LIMIT_WINDOW_SECONDS,
        **extra,
    }
    return render(request, "engine_keys/list.html", context, status=status)


def _label(key) -> str:
    return f"{key.name} ({key.prefix}…)"
