"""Model providers: which one answers a given model name, and which models there are.

The engine's provider records (engine/provider_models.py) decide: each enabled model id belongs
to one enabled provider; an alias maps another name (or a pattern) onto such an id; a name
nobody serves is refused with the API's "model not found", or answered by the offline demo
(the setting on the Models page; by default the demo until a real provider exists). Routing
reads only the database, so a provider that is down keeps its models: the run fails in words
instead of being answered by another model.

The ENGINE_CHAT_* settings describe one provider, made or updated the first time it is needed
and marked as coming from the environment.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from .base import ModelInfo, Provider, ProviderError
from .chat_completions import ChatCompletionsProvider
from .demo import MODEL_ID as DEMO_MODEL
from .demo import DemoProvider

__all__ = [
    "DEMO_MODEL",
    "ModelInfo",
    "Provider",
    "ProviderError",
    "Route",
    "all_models",
    "provider_for",
    "route",
]

logger = logging.getLogger(__name__)

FALLBACKS = ("auto", "demo", "chat-completions", "none")
REFRESH_EVERY = timedelta(minutes=5)  # discovered model lists, refreshed by the worker
RETRY_LISTING = timedelta(seconds=30)  # after a listing failed

_demo = DemoProvider()
_lock = threading.Lock()
_instances: dict[int, tuple[tuple, ChatCompletionsProvider]] = {}
_environment: dict[tuple, int] = {}  # the ENGINE_CHAT_* configuration synced → provider pk


@dataclass(frozen=True)
class Route:
    provider: Provider
    model: str  # the name the provider knows it by
    provider_name: str  # the provider record's name ("demo" for the demo)


def not_found(model: str) -> ProviderError:
    return ProviderError(
        f"The model '{model}' does not exist or you do not have access to it.",
        code="invalid_prompt",
    )


# ---------------------------------------------------------------------------------------------
# Provider records → provider objects


def instance(record: Any) -> ChatCompletionsProvider:
    """The provider object for a ModelProvider row, built once per configuration so that its
    pooled connections are reused across runs."""
    config = (
        record.updated_at,
        float(settings.ENGINE_CHAT_TIMEOUT),
        int(settings.ENGINE_CHAT_MAX_RETRIES),
    )
    with _lock:
        cached = _instances.get(record.pk)
        if cached is not None and cached[0] == config:
            return cached[1]
    provider = ChatCompletionsProvider(
        base_url=record.base_url,
        api_key=record.api_key,  # loads the deferred key: once per configuration
        azure_api_version=record.api_version if record.kind == "azure" else "",
        timeout=config[1],
        max_retries=config[2],
        kind=record.kind,
        extra_headers=record.extra_headers,
        name=f"provider:{record.pk}",
    )
    with _lock:
        _instances[record.pk] = (config, provider)
    return provider


def _environment_config() -> tuple | None:
    base_url = getattr(settings, "ENGINE_CHAT_BASE_URL", "")
    if not base_url:
        return None
    return (
        base_url,
        getattr(settings, "ENGINE_CHAT_API_KEY", ""),
        tuple(getattr(settings, "ENGINE_CHAT_MODELS", ())),
        getattr(settings, "ENGINE_CHAT_AZURE_API_VERSION", ""),
    )


def sync_environment(*, force: bool = False) -> Any:
    """Make or update the provider the ENGINE_CHAT_* settings describe; None without them."""
    from ..provider_models import ModelProvider, ProviderModel

    config = _environment_config()
    if config is None:
        return None
    with _lock:
        known = _environment.get(config)
    if known is not None and not force:
        record = ModelProvider.objects.filter(pk=known, from_environment=True).first()
        if record is not None:
            return record
    base_url, api_key, names, api_version = config
    host = urlsplit(base_url).hostname or ""
    kind = "azure" if api_version else "openai" if host == "api.openai.com" else ""
    with transaction.atomic():
        record = ModelProvider.objects.filter(from_environment=True).first()
        if record is None:
            record = ModelProvider(from_environment=True, name=ModelProvider.ENVIRONMENT_NAME)
        record.kind = kind or (record.kind if record.pk else "openai-compatible")
        record.base_url, record.api_key, record.api_version = base_url, api_key, api_version
        record.discover = not names
        record.save()
        typed = record.offered.filter(discovered=False)
        typed.exclude(name__in=names).delete()
        for name in names:
            if not record.offered.filter(name=name).exists():
                model_id = record.prefix + name
                taken = ProviderModel.objects.filter(model_id=model_id, enabled=True).exists()
                ProviderModel.objects.create(
                    provider=record, name=name, model_id=model_id, enabled=not taken
                )
    if record.discover:
        refresh(record)
    with _lock:
        _environment[config] = record.pk
    return record


def refresh(record: Any) -> list[str] | None:
    """Ask a provider which models it serves and store the answer (or why it failed);
    nothing for one whose models are typed (Azure deployments cannot be listed)."""
    if not record.discover or record.kind == "azure":
        return []
    try:
        names = instance(record).list_models()
    except ProviderError as error:
        record.record_listing(None, error.message)
        return None
    record.record_listing(names)
    return names


def refresh_due(now: datetime | None = None) -> int:
    """Refresh the discovered model lists that are due (the worker calls this)."""
    from django.db.models import Q

    from ..provider_models import ModelProvider

    now = now or timezone.now()
    due = ModelProvider.objects.enabled().filter(discover=True).exclude(kind="azure")
    due = due.filter(
        Q(listed_at__isnull=True)
        | Q(listed_at__lt=now - REFRESH_EVERY)
        | (~Q(list_error="") & Q(listed_at__lt=now - RETRY_LISTING))
    )
    count = 0
    for record in due:
        refresh(record)
        count += 1
    return count


_refreshing = threading.Lock()
_next_refresh = 0.0


def refresh_in_background() -> None:
    """Refresh due model lists in a thread of its own, at most once a minute and one at a
    time: listings are HTTP calls, which must not hold up the worker's loop."""
    global _next_refresh
    now = time.monotonic()
    if now < _next_refresh or not _refreshing.acquire(blocking=False):
        return
    _next_refresh = now + 60

    def work() -> None:
        try:
            refresh_due()
        except Exception:
            logger.exception("Refreshing the providers' model lists failed")
        finally:
            connections.close_all()
            _refreshing.release()

    threading.Thread(target=work, name="engine-model-lists", daemon=True).start()


# ---------------------------------------------------------------------------------------------
# Routing


@dataclass
class _Table:
    """What routing needs, read from the database at most once a second per process (and at
    once after a change made in this process): routing a run costs no query."""

    made: float
    generation: int
    config: tuple | None
    settings: tuple
    served: dict[str, Any]  # model id → its ProviderModel, with the provider record
    aliases: list[Any]
    down: str  # why an enabled provider could not list its models, "" if none
    policy: str  # "demo", "refuse" or "environment", for names nobody serves
    environment: Any  # the ENGINE_CHAT_* provider record, or None


TABLE_SECONDS = 1.0
_table: _Table | None = None


def forget() -> None:
    """Drop the cached routing table (tests whose database was rolled back)."""
    global _table
    _table = None


def _routing() -> _Table:
    global _table
    from ..provider_models import ModelAlias, ModelProvider, ProviderModel, generation

    config = _environment_config()
    now = time.monotonic()
    known = _table
    knobs = (getattr(settings, "ENGINE_FALLBACK_PROVIDER", "auto"),)
    if (
        known is not None
        and now - known.made < TABLE_SECONDS
        and known.generation == generation()
        and known.config == config
        and known.settings == knobs
    ):
        return known
    environment = sync_environment()  # also when its record went since it was synced
    current = generation()
    rows = (
        ProviderModel.objects.filter(enabled=True, provider__enabled=True)
        .select_related("provider")
        .defer("provider__api_key")  # decrypted only when its provider object is built
        .order_by("-pk")  # one row per id is enabled; if ever two, the oldest wins
    )
    down = ModelProvider.objects.enabled().filter(discover=True).exclude(list_error="").first()
    _table = _Table(
        made=now,
        generation=current,
        config=config,
        settings=knobs,
        served={row.model_id: row for row in rows},
        aliases=list(ModelAlias.objects.all()),
        down=down.list_error if down is not None else "",
        policy=unknown_policy(),
        environment=environment,
    )
    return _table


def _aliased(model: str, table: _Table) -> Any:
    """The served model an alias maps `model` onto (the demo's Route for the demo)."""
    from ..provider_models import resolve_alias

    target = resolve_alias(model, table.aliases) if table.aliases else None
    if target is None:
        return None
    if target == DEMO_MODEL:
        return Route(_demo, DEMO_MODEL, "demo")
    served = table.served.get(target)
    if served is None:
        raise ProviderError(
            f"The model '{model}' is an alias of '{target}', which no enabled provider serves.",
            code="invalid_prompt",
        )
    return served


def _fallback() -> str:
    fallback = getattr(settings, "ENGINE_FALLBACK_PROVIDER", "auto")
    if fallback not in FALLBACKS:
        raise ProviderError(
            f"ENGINE_FALLBACK_PROVIDER is {fallback!r}; expected one of {', '.join(FALLBACKS)}."
        )
    return fallback


def unknown_policy() -> str:
    """ "demo" or "refuse": what a name nobody serves gets."""
    from ..provider_models import ModelProvider, RoutingSettings, UnknownModels

    chosen = RoutingSettings.current().unknown_models
    if chosen != UnknownModels.AUTO:
        return chosen
    fallback = _fallback()
    if fallback == "none":
        return "refuse"
    if fallback == "demo":
        return "demo"
    if fallback == "chat-completions":
        return "environment"
    return "refuse" if ModelProvider.objects.enabled().exists() else "demo"


def route(model: str) -> Route:
    """Which provider answers `model`, under which name. Raises ProviderError: "model not
    found" (invalid_prompt) when nobody serves it and the setting refuses such names, and
    server_error when a provider that might serve it could not say which models it has."""
    if model == DEMO_MODEL:
        return Route(_demo, DEMO_MODEL, "demo")
    table = _routing()
    served = table.served.get(model) or _aliased(model, table)
    if isinstance(served, Route):
        return served
    if served is not None:
        record = served.provider
        return Route(instance(record), served.name, record.name)
    if table.down:
        # It may well serve this model: failing says so, answering with another would lie.
        raise ProviderError(table.down, code="server_error")
    if table.policy == "environment" and table.environment is not None:
        return Route(instance(table.environment), model, table.environment.name)
    if table.policy == "refuse":
        raise not_found(model)
    return Route(_demo, DEMO_MODEL, "demo")


def check_model(model: str) -> None:
    """Refuse at once, with the API's 400 model_not_found, a request naming a model that its
    run would be refused for (nobody serves it, no alias maps it, and the setting refuses such
    names), instead of accepting it and failing the run later. A provider that is down may
    serve it: that is the run's to find out."""
    from ..errors import ApiError

    try:
        route(model)
    except ProviderError as error:
        if error.code == "invalid_prompt":
            raise ApiError(400, error.message, param="model", code="model_not_found") from None


def provider_for(model: str) -> Provider:
    """The provider that runs `model` (see `route`)."""
    return route(model).provider


def all_models() -> list[ModelInfo]:
    """The demo, then every enabled model of an enabled provider; for GET /v1/models."""
    from ..provider_models import ProviderModel

    sync_environment()  # also when its record went since it was synced
    models = _demo.models()
    enabled = (
        ProviderModel.objects.filter(enabled=True, provider__enabled=True)
        .exclude(model_id=DEMO_MODEL)
        .select_related("provider")
        .order_by("model_id")
    )
    for offered in enabled:
        created = int(offered.created_at.timestamp())
        description = f"{offered.name} via {offered.provider.name}"
        models.append(ModelInfo(offered.model_id, offered.provider.name, created, description))
    return models
