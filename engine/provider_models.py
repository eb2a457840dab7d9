"""Model providers as records: which servers the engine may call, which of their models it
offers (and under which id), aliases for names code was written with, and what happens to a
name nobody serves. Administrators manage them on the dashboard's Models page; the
ENGINE_CHAT_* settings make one at start-up, marked as coming from the environment.

Routing reads only these rows, never the network: a provider that is down keeps its models,
so a run on them fails in words instead of being answered by another model.
"""

from __future__ import annotations

import fnmatch

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from dashboard.crypto import EncryptedTextField, mask

_generation = [0]


def generation() -> int:
    """Bumped by every change made through these models in this process: the router's cached
    table is rebuilt at once here, and within a second in other processes."""
    return _generation[0]


def routes_changed() -> None:
    _generation[0] += 1


class RoutingQuerySet(models.QuerySet):
    def update(self, **kwargs):
        routes_changed()
        return super().update(**kwargs)

    def delete(self):
        routes_changed()
        return super().delete()


class Routed(models.Model):
    """A record routing reads: every change to one, saved or in bulk, rebuilds the routes."""

    objects = RoutingQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        routes_changed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        routes_changed()
        return super().delete(*args, **kwargs)


class ProviderKind(models.TextChoices):
    OPENAI = "openai", "OpenAI"
    AZURE = "azure", "Azure OpenAI"
    OLLAMA = "ollama", "Ollama"
    VLLM = "vllm", "vLLM"
    LLAMACPP = "llamacpp", "llama.cpp server"
    LMSTUDIO = "lmstudio", "LM Studio"
    COMPATIBLE = "openai-compatible", "OpenAI-compatible"


DEFAULT_URLS = {
    ProviderKind.OPENAI: "https://api.openai.com/v1",
    ProviderKind.AZURE: "https://RESOURCE.openai.azure.com",
    ProviderKind.OLLAMA: "http://127.0.0.1:11434/v1",
    ProviderKind.VLLM: "http://127.0.0.1:8000/v1",
    ProviderKind.LLAMACPP: "http://127.0.0.1:8080/v1",
    ProviderKind.LMSTUDIO: "http://127.0.0.1:1234/v1",
    ProviderKind.COMPATIBLE: "http://127.0.0.1:8000/v1",
}


class ModelProviderQuerySet(RoutingQuerySet):
    def enabled(self) -> ModelProviderQuerySet:
        return self.filter(enabled=True)


class ModelProvider(Routed):
    ENVIRONMENT_NAME = "environment"

    name = models.CharField(max_length=64, unique=True, help_text="Shown beside its models.")
    kind = models.CharField(max_length=24, choices=ProviderKind, default=ProviderKind.COMPATIBLE)
    base_url = models.CharField(max_length=500)
    api_key = EncryptedTextField(blank=True, default="")
    extra_headers = models.JSONField(default=dict, blank=True)
    api_version = models.CharField(max_length=32, blank=True, default="")  # Azure only
    prefix = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="Offered as prefix + the server's name, when two providers share names.",
    )
    discover = models.BooleanField(default=True, help_text="List models from the server.")
    enabled = models.BooleanField(default=True)
    from_environment = models.BooleanField(default=False, editable=False)
    listed_at = models.DateTimeField(null=True, blank=True, editable=False)
    list_error = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ModelProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_key(self) -> str:
        return mask(self.api_key)

    def clean(self) -> None:
        if self.kind == ProviderKind.AZURE and not self.api_version:
            raise ValidationError({"api_version": "Azure OpenAI needs an API version."})
        headers = self.extra_headers
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ValidationError({"extra_headers": "Headers are names with text values."})

    def record_listing(self, names: list[str] | None, error: str = "") -> None:
        """Store what the server listed (None: the listing failed, `error` says why). Models
        it no longer lists stay, and stay routed: they may be back after a restart."""
        now = timezone.now()
        with transaction.atomic():
            if names is None:
                ModelProvider.objects.filter(pk=self.pk).update(list_error=error, listed_at=now)
                self.list_error, self.listed_at = error, now
                return
            known = set(self.offered.values_list("name", flat=True))
            taken = set(
                ProviderModel.objects.filter(enabled=True)
                .exclude(provider=self)
                .values_list("model_id", flat=True)
            )
            for name in names:
                if name in known:
                    continue
                model_id = self.prefix + name
                # A name another provider already serves waits for the administrator to pick.
                ProviderModel.objects.create(
                    provider=self,
                    name=name,
                    model_id=model_id,
                    discovered=True,
                    enabled=model_id not in taken,
                )
                taken.add(model_id)
            ModelProvider.objects.filter(pk=self.pk).update(list_error="", listed_at=now)
            self.list_error, self.listed_at = "", now

    def set_prefix(self, prefix: str) -> None:
        with transaction.atomic():
            self.prefix = prefix
            self.save(update_fields=["prefix", "updated_at"])
            for offered in self.offered.all():
                offered.model_id = prefix + offered.name
                offered.save(update_fields=["model_id"])


class ProviderModel(Routed):
    provider = models.ForeignKey(ModelProvider, on_delete=models.CASCADE, related_name="offered")
    name = models.CharField(max_length=256, help_text="What the provider calls it.")
    model_id = models.CharField(max_length=256, db_index=True, help_text="What runs name.")
    enabled = models.BooleanField(default=True, help_text="Listed and routed; else hidden.")
    discovered = models.BooleanField(default=False, help_text="Listed by the server (not typed).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model_id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="engine_provider_model_name")
        ]

    def __str__(self) -> str:
        return f"{self.model_id} ({self.provider})"

    def pick(self) -> None:
        """Serve this id from this provider: enable it, hide the same id elsewhere."""
        with transaction.atomic():
            ProviderModel.objects.filter(model_id=self.model_id, enabled=True).exclude(
                pk=self.pk
            ).update(enabled=False)
            ProviderModel.objects.filter(pk=self.pk).update(enabled=True)
            self.enabled = True


class ModelAlias(Routed):
    pattern = models.CharField(
        max_length=256, unique=True, help_text="A model name, or a pattern such as gpt-4*."
    )
    target = models.CharField(max_length=256, help_text="The model id that answers instead.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pattern"]
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        return f"{self.pattern} → {self.target}"

    @property
    def is_pattern(self) -> bool:
        return any(c in self.pattern for c in "*?[")

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name, self.pattern) if self.is_pattern else name == self.pattern


class UnknownModels(models.TextChoices):
    AUTO = "auto", "Automatic: the demo, then refuse"
    REFUSE = "refuse", "Refuse with “model not found”"
    DEMO = "demo", "Answer with the demo model"


class RoutingSettings(Routed):
    """One row: what happens to a model name nobody serves."""

    unknown_models = models.CharField(
        max_length=8, choices=UnknownModels, default=UnknownModels.AUTO
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "routing settings"

    def __str__(self) -> str:
        return self.get_unknown_models_display()

    @classmethod
    def current(cls) -> RoutingSettings:
        return cls.objects.get_or_create(pk=1)[0]


def resolve_alias(name: str, aliases: list[ModelAlias]) -> str | None:
    """The target of the alias naming `name`: an exact name first, then the longest pattern."""
    exact = [a for a in aliases if not a.is_pattern and a.pattern == name]
    if exact:
        return exact[0].target
    patterns = sorted((a for a in aliases if a.is_pattern), key=lambda a: -len(a.pattern))
    for alias in patterns:
        if alias.matches(name):
            return alias.target
    return None
