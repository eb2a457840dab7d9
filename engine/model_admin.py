"""Model providers, their models and aliases as plain data, for the dashboard's "Models" page
(administrators).

Like `engine.keys`, this small service is the boundary the dashboard uses instead of the
engine's models: providers are this deployment's configuration of its built-in engine, not
part of the Assistants API any backend speaks, and their API keys never leave the process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from .provider_models import (
    DEFAULT_URLS,
    ModelAlias,
    ModelProvider,
    ProviderKind,
    ProviderModel,
    Routed,
    RoutingSettings,
    UnknownModels,
)
from .providers import DEMO_MODEL, ProviderError, instance, refresh, unknown_policy
from .providers.base import ChatMessage, ChatRequest, Finish, TextDelta, Usage

KIND_CHOICES: list[tuple[str, str]] = list(ProviderKind.choices)
UNKNOWN_CHOICES: list[tuple[str, str]] = list(UnknownModels.choices)
EXAMPLE_URLS: dict[str, str] = {kind.label: url for kind, url in DEFAULT_URLS.items()}


class Refused(Exception):
    """What the administrator asked cannot be done; the message says why."""


@dataclass(frozen=True)
class OfferedModel:
    id: int
    name: str
    model_id: str
    enabled: bool
    discovered: bool
    also_at: list[str]  # other providers offering the same id


@dataclass(frozen=True)
class ProviderInfo:
    id: int
    name: str
    kind: str
    kind_label: str
    base_url: str
    masked_key: str
    has_key: bool
    extra_headers: dict[str, str]
    api_version: str
    prefix: str
    discover: bool
    enabled: bool
    from_environment: bool
    listed_at: datetime | None
    list_error: str
    models: list[OfferedModel] = field(default_factory=list)


@dataclass(frozen=True)
class AliasInfo:
    id: int
    pattern: str
    target: str
    is_pattern: bool
    served: bool  # the target is served right now


@dataclass(frozen=True)
class Trial:
    ok: bool
    models: list[str]
    seconds: float
    reply: str = ""
    error: str = ""
    usage: dict[str, int] | None = None


def _info(record: ModelProvider, offered: list[ProviderModel], owners: dict) -> ProviderInfo:
    return ProviderInfo(
        id=record.pk,
        name=record.name,
        kind=record.kind,
        kind_label=record.get_kind_display(),
        base_url=record.base_url,
        masked_key=record.masked_key,
        has_key=bool(record.api_key),
        extra_headers=dict(record.extra_headers or {}),
        api_version=record.api_version,
        prefix=record.prefix,
        discover=record.discover,
        enabled=record.enabled,
        from_environment=record.from_environment,
        listed_at=record.listed_at,
        list_error=record.list_error,
        models=[
            OfferedModel(
                id=m.pk,
                name=m.name,
                model_id=m.model_id,
                enabled=m.enabled,
                discovered=m.discovered,
                also_at=sorted(n for n in owners.get(m.model_id, ()) if n != record.name),
            )
            for m in offered
        ],
    )


def _provider(provider_id: int) -> ModelProvider | None:
    return ModelProvider.objects.filter(pk=provider_id).first()


def _deleted(record: Routed | None, label: str) -> str | None:
    """Delete `record`: its field `label`, or None when there was no record."""
    if record is None:
        return None
    record.delete()
    return getattr(record, label)


def list_providers() -> list[ProviderInfo]:
    offered = list(ProviderModel.objects.select_related("provider"))
    owners: dict[str, set[str]] = {}
    by_provider: dict[int, list[ProviderModel]] = {}
    for m in offered:
        owners.setdefault(m.model_id, set()).add(m.provider.name)
        by_provider.setdefault(m.provider_id, []).append(m)
    return [_info(p, by_provider.get(p.pk, []), owners) for p in ModelProvider.objects.all()]


def get_provider(provider_id: int) -> ProviderInfo | None:
    return next((p for p in list_providers() if p.id == provider_id), None)


def save_provider(
    provider_id: int | None,
    *,
    name: str,
    kind: str,
    base_url: str,
    api_key: str | None,
    extra_headers: dict[str, str],
    api_version: str,
    prefix: str,
    discover: bool,
    enabled: bool,
    created_by: Any = None,
) -> ProviderInfo:
    """Add (provider_id None) or change a provider; `api_key` None keeps the stored key.
    A new or re-addressed provider that lists its models is asked for them at once."""
    record = ModelProvider(created_by=created_by) if provider_id is None else _provider(provider_id)
    if record is None:
        raise Refused("No such provider.")
    readdressed = record.pk is None or record.base_url != base_url or record.kind != kind
    record.name, record.kind, record.base_url = name, kind, base_url.rstrip("/")
    if api_key is not None:
        record.api_key = api_key
    record.extra_headers, record.api_version = extra_headers, api_version
    record.discover = discover and kind != ProviderKind.AZURE
    record.enabled = enabled
    try:
        with transaction.atomic():
            prefix_changed = record.pk is not None and record.prefix != prefix
            record.prefix = prefix if not prefix_changed else record.prefix
            record.save()
            if prefix_changed:
                record.set_prefix(prefix)
    except IntegrityError:
        raise Refused(f"A provider named “{name}” exists already.") from None
    if readdressed and record.discover and record.enabled:
        refresh(record)
    return get_provider(record.pk)  # type: ignore[return-value]


def delete_provider(provider_id: int) -> str | None:
    """Delete a provider and its models; its name, or None when there was none."""
    return _deleted(_provider(provider_id), "name")


def refresh_provider(provider_id: int) -> ProviderInfo | None:
    record = _provider(provider_id)
    if record is None:
        return None
    refresh(record)
    return get_provider(provider_id)


def try_provider(provider_id: int, model: str = "") -> Trial | None:
    """List the provider's models and ask one of them for a tiny completion, timed."""
    record = _provider(provider_id)
    if record is None:
        return None
    provider = instance(record)
    started = time.monotonic()
    names: list[str] = []
    try:
        if record.discover:
            names = provider.list_models()
        else:
            names = list(record.offered.values_list("name", flat=True))
        if not model:
            first = record.offered.filter(enabled=True).first()
            model = first.name if first else (names[0] if names else "")
        if not model:
            raise ProviderError("The provider offers no model to try; add one by name.")
        request = ChatRequest(
            model=model,
            messages=[ChatMessage("user", "Say OK.")],
            max_completion_tokens=16,
        )
        reply, usage = "", None
        for event in provider.stream(request):
            if isinstance(event, TextDelta):
                reply += event.text
            elif isinstance(event, Usage) and not event.estimated:
                usage = {"prompt_tokens": event.prompt_tokens,
                         "completion_tokens": event.completion_tokens}  # fmt: skip
            elif isinstance(event, Finish):
                break
    except ProviderError as error:
        return Trial(False, names, time.monotonic() - started, error=error.message)
    seconds = time.monotonic() - started
    return Trial(True, names, seconds, reply=f"{model}: {reply.strip()}", usage=usage)


def add_model(provider_id: int, name: str) -> OfferedModel:
    """Offer a model by name (one the server does not list, an Azure deployment)."""
    record = _provider(provider_id)
    if record is None:
        raise Refused("No such provider.")
    if record.offered.filter(name=name).exists():
        raise Refused(f"{record.name} offers “{name}” already.")
    model_id = record.prefix + name
    taken = ProviderModel.objects.filter(model_id=model_id, enabled=True).exists()
    offered = ProviderModel.objects.create(
        provider=record, name=name, model_id=model_id, enabled=not taken
    )
    return OfferedModel(offered.pk, name, model_id, offered.enabled, False, [])


def set_model_enabled(model_pk: int, enabled: bool) -> ProviderModel | None:
    """Enable (serving the id from this provider, hiding it elsewhere) or hide a model."""
    offered = ProviderModel.objects.select_related("provider").filter(pk=model_pk).first()
    if offered is None:
        return None
    if enabled:
        offered.pick()
    else:
        ProviderModel.objects.filter(pk=model_pk).update(enabled=False)
        offered.enabled = False
    return offered


def delete_model(model_pk: int) -> str | None:
    return _deleted(ProviderModel.objects.filter(pk=model_pk).first(), "model_id")


def served_model_ids() -> list[str]:
    ids = ProviderModel.objects.filter(enabled=True, provider__enabled=True)
    return [DEMO_MODEL, *sorted(set(ids.values_list("model_id", flat=True)))]


def list_aliases() -> list[AliasInfo]:
    served = set(served_model_ids())
    return [
        AliasInfo(a.pk, a.pattern, a.target, a.is_pattern, a.target in served)
        for a in ModelAlias.objects.all()
    ]


def add_alias(pattern: str, target: str) -> AliasInfo:
    try:
        alias = ModelAlias.objects.create(pattern=pattern, target=target)
    except IntegrityError:
        raise Refused(f"“{pattern}” is an alias already.") from None
    return AliasInfo(alias.pk, pattern, target, alias.is_pattern, target in served_model_ids())


def delete_alias(alias_id: int) -> str | None:
    return _deleted(ModelAlias.objects.filter(pk=alias_id).first(), "pattern")


def unknown_models() -> tuple[str, str]:
    """The setting for names nobody serves, and what it means right now ("demo"/"refuse")."""
    return RoutingSettings.current().unknown_models, unknown_policy()


def set_unknown_models(value: str) -> None:
    RoutingSettings.objects.update_or_create(pk=1, defaults={"unknown_models": value})


def reencrypt_keys() -> int:
    """Store every provider key again, encrypted with the first FIELD_ENCRYPTION_KEYS key."""
    count = 0
    with transaction.atomic():
        for record in ModelProvider.objects.exclude(api_key="").select_for_update():
            record.save(update_fields=["api_key"])
            count += 1
    return count
