"""Models (administrators): the built-in engine's model providers, their models, aliases, and
what happens to a model name nobody serves.

Providers configure this deployment's own engine, not any Assistants API backend, so the page
uses the engine's model service in-process (engine.model_admin, like the Engine keys page uses
engine.keys) rather than an HTTP endpoint: API keys never travel, and no admin endpoint has to
be guarded on /v1."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..audit import team_change
from ..model_forms import AliasForm, ModelNameForm, ProviderForm, UnknownModelsForm
from ..models import AuditEvent
from ..roles import MANAGE_MODELS
from . import found

admins_only = permission_required(MANAGE_MODELS, raise_exception=True)


@require_GET
@admins_only
def model_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_http_methods(["GET", "POST"])
@admins_only
def provider_add(request: HttpRequest) -> HttpResponse:
    from engine import model_admin

    form = ProviderForm(request.POST or None)
    del form.fields["clear_key"]  # nothing stored yet
    if request.method == "POST" and form.is_valid():
        try:
            provider = model_admin.save_provider(
                None, **_fields(form, keep_key=False), created_by=request.user
            )
        except model_admin.Refused as refused:
            form.add_error("name", str(refused))
        else:
            _provider_event(request, AuditEvent.Action.MODEL_PROVIDER_ADDED, provider)
            messages.success(request, _saved(provider, "Added"))
            return _to_list(f"provider-{provider.id}")
    status = 422 if form.errors else 200
    return _form(request, form, None, status)


@require_http_methods(["GET", "POST"])
@admins_only
def provider_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import model_admin

    provider = _provider(pk)
    form = ProviderForm(request.POST or None, initial=ProviderForm.initial_for(provider))
    if request.method == "POST" and form.is_valid():
        before, fields = _audited(provider), _fields(form, keep_key=True)
        try:
            provider = model_admin.save_provider(pk, **fields)
        except model_admin.Refused as refused:
            form.add_error("name", str(refused))
        else:
            after = _audited(provider)
            if fields["api_key"] is not None:  # the key itself is never written anywhere
                before["api_key"] = "(the old key)" if before["api_key"] else ""
                after["api_key"] = "(a new key)" if fields["api_key"] else ""
            changes = {name: [before[name], after[name]] for name in before
                       if before[name] != after[name]}  # fmt: skip
            if changes:
                _provider_event(
                    request, AuditEvent.Action.MODEL_PROVIDER_CHANGED, provider, changes=changes
                )
            messages.success(request, _saved(provider, "Saved"))
            return _to_list(f"provider-{provider.id}")
    return _form(request, form, provider, 422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admins_only
def provider_delete(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import model_admin

    provider = _provider(pk)
    if request.method == "POST":
        model_admin.delete_provider(pk)
        _provider_event(request, AuditEvent.Action.MODEL_PROVIDER_DELETED, provider)
        messages.success(request, f"Deleted the provider {provider.name} and its models.")
        return _to_list()
    return render(request, "models/confirm_delete.html", {"nav": "models", "provider": provider})


@require_POST
@admins_only
def provider_test(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import model_admin

    provider = _provider(pk)
    trial = model_admin.try_provider(pk, request.POST.get("model", "").strip())
    context = {"provider": provider, "trial": trial}
    if request.htmx:
        return render(request, "models/list.html#trial", context)
    return _page(request, tried=provider.id, trial=trial)


@require_POST
@admins_only
def provider_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import model_admin

    provider = found(model_admin.refresh_provider(pk), "provider")
    if provider.list_error:
        messages.error(request, provider.list_error)
    else:
        messages.success(request, f"{provider.name} lists {len(provider.models)} model(s).")
    return _to_list(f"provider-{pk}")


@require_POST
@admins_only
def provider_model_add(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import model_admin

    provider = _provider(pk)
    form = ModelNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type the model's name as the server knows it.")
    else:
        try:
            added = model_admin.add_model(pk, form.cleaned_data["name"])
        except model_admin.Refused as refused:
            messages.error(request, str(refused))
        else:
            state = "" if added.enabled else " (hidden: another provider serves that id)"
            _models_event(request, AuditEvent.MODEL, added.model_id, provider=provider.name,
                          added=True, enabled=added.enabled)  # fmt: skip
            messages.success(request, f"{provider.name} offers {added.model_id}{state}.")
    return _to_list(f"provider-{pk}")


@require_POST
@admins_only
def model_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import model_admin

    enabled = request.POST.get("enabled") == "1"
    offered = found(model_admin.set_model_enabled(pk, enabled), "model")
    where = f"{offered.model_id} from {offered.provider.name}"
    _models_event(request, AuditEvent.MODEL, offered.model_id, provider=offered.provider.name,
                  changes={"enabled": [not enabled, enabled]})  # fmt: skip
    messages.success(request, f"Serving {where}." if enabled else f"Hid {where}.")
    return _to_list(f"provider-{offered.provider_id}")


@require_POST
@admins_only
def model_delete(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import model_admin

    model_id = found(model_admin.delete_model(pk), "model")
    said = f"Removed {model_id}; a listing that finds it adds it again."
    return _removed(request, AuditEvent.MODEL, model_id, said)


@require_POST
@admins_only
def alias_add(request: HttpRequest) -> HttpResponse:
    from engine import model_admin

    form = AliasForm(request.POST)
    if form.is_valid():
        try:
            alias = model_admin.add_alias(**form.cleaned_data)
        except model_admin.Refused as refused:
            form.add_error("pattern", str(refused))
        else:
            warning = "" if alias.served else " Nobody serves that model yet."
            _models_event(request, AuditEvent.MODEL_ALIAS, alias.pattern,
                          changes={"target": [None, alias.target]})  # fmt: skip
            messages.success(request, f"{alias.pattern} is answered by {alias.target}.{warning}")
            return _to_list("aliases")
    return _page(request, alias_form=form, status=422)


@require_POST
@admins_only
def alias_delete(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import model_admin

    pattern = found(model_admin.delete_alias(pk), "alias")
    return _removed(
        request, AuditEvent.MODEL_ALIAS, pattern, f"Removed the alias {pattern}.", "aliases"
    )


@require_POST
@admins_only
def unknown_models_set(request: HttpRequest) -> HttpResponse:
    from engine import model_admin

    form = UnknownModelsForm(request.POST)
    if not form.is_valid():
        return _page(request, unknown_form=form, status=422)
    before = model_admin.unknown_models()[0]
    chosen = form.cleaned_data["unknown_models"]
    model_admin.set_unknown_models(chosen)
    if before != chosen:
        _models_event(request, AuditEvent.MODEL_SETTING, "unknown_models",
                      changes={"unknown_models": [before, chosen]})  # fmt: skip
    messages.success(request, "Saved what happens to a model name nobody serves.")
    return _to_list("unknown")


# ---------------------------------------------------------------------------------------------


def _audited(provider) -> dict:
    """What the trail keeps of a provider: its settings, the extra headers by name only (their
    values may be credentials), and whether it has a key, never the key."""
    return {
        "name": provider.name,
        "kind": provider.kind,
        "base_url": provider.base_url,
        "api_key": provider.has_key,
        "extra_headers": sorted(provider.extra_headers or {}),
        "api_version": provider.api_version,
        "prefix": provider.prefix,
        "discover": provider.discover,
        "enabled": provider.enabled,
    }


def _provider_event(request: HttpRequest, action: str, provider, **extra) -> None:
    team_change(request, action, AuditEvent.MODEL_PROVIDER, provider.id, provider.name, **extra)


def _models_event(
    request: HttpRequest, object_type: str, name: str, *, changes: dict | None = None, **details
) -> None:
    team_change(request, AuditEvent.Action.MODELS_CHANGED, object_type, name, name,
                changes=changes or {}, details=details)  # fmt: skip


def _to_list(anchor: str = "") -> HttpResponse:
    """Back to the Models page, at the part just changed."""
    return redirect(f"{reverse('model_list')}#{anchor}" if anchor else "model_list")


def _removed(request: HttpRequest, object_type: str, name: str, said: str, anchor: str = ""):
    """A model or an alias was deleted: the trail notes it, and the page says so."""
    _models_event(request, object_type, name, removed=True)
    messages.success(request, said)
    return _to_list(anchor)


def _provider(pk: int):
    from engine import model_admin

    return found(model_admin.get_provider(pk), "provider")


def _fields(form: ProviderForm, *, keep_key: bool) -> dict:
    data = form.cleaned_data
    api_key: str | None = data["api_key"] or (None if keep_key else "")
    if data.get("clear_key"):
        api_key = ""
    return {
        "name": data["name"],
        "kind": data["kind"],
        "base_url": data["base_url"],
        "api_key": api_key,
        "extra_headers": data["extra_headers"],
        "api_version": data["api_version"] if data["kind"] == "azure" else "",
        "prefix": data["prefix"],
        "discover": data["discover"],
        "enabled": data["enabled"],
    }


def _saved(provider, verb: str) -> str:
    if provider.list_error:
        return f"{verb} {provider.name}, but: {provider.list_error}"
    return f"{verb} {provider.name}: {len(provider.models)} model(s)."


def _form(request: HttpRequest, form: ProviderForm, provider, status: int) -> HttpResponse:
    from engine import model_admin

    context = {
        "nav": "models",
        "form": form,
        "provider": provider,
        "example_urls": model_admin.EXAMPLE_URLS,
    }
    return render(request, "models/form.html", context, status=status)


def _page(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    from engine import model_admin

    setting, effective = model_admin.unknown_models()
    context = {
        "nav": "models",
        "providers": model_admin.list_providers(),
        "aliases": model_admin.list_aliases(),
        "served": model_admin.served_model_ids(),
        "alias_form": AliasForm(),
        "unknown_form": UnknownModelsForm(initial={"unknown_models": setting}),
        "unknown_effective": effective,
        "model_form": ModelNameForm(),
        **extra,
    }
    return render(request, "models/list.html", context, status=status)
