"""Model providers: which one answers a given model name, and which models there are.

Configuration comes from settings (the "Providers" block of dashboard/settings.py, read from the
environment). A model listed by the configured chat-completions endpoint goes there; any other
model goes to the fallback provider, the offline demo by default, so that a fresh machine runs
every assistant (even one whose model says "gpt-4o") without a key or a network.
"""

from __future__ import annotations

import threading

from django.conf import settings

from .base import ModelInfo, Provider, ProviderError
from .chat_completions import ChatCompletionsProvider
from .demo import MODEL_ID as DEMO_MODEL
from .demo import DemoProvider

__all__ = ["DEMO_MODEL", "ModelInfo", "Provider", "ProviderError", "all_models", "provider_for"]

FALLBACKS = ("demo", "chat-completions", "none")

_demo = DemoProvider()
_cache: dict[tuple, ChatCompletionsProvider] = {}
_cache_lock = threading.Lock()


def chat_provider() -> ChatCompletionsProvider | None:
    """The configured chat-completions provider, or None without ENGINE_CHAT_BASE_URL.

    Built once per configuration, so its pooled HTTP connections are reused across runs,
    and rebuilt when the settings change (tests override them).
    """
    base_url = getattr(settings, "ENGINE_CHAT_BASE_URL", "")
    if not base_url:
        return None
    config = (
        base_url,
        getattr(settings, "ENGINE_CHAT_API_KEY", ""),
        tuple(getattr(settings, "ENGINE_CHAT_MODELS", ())),
        getattr(settings, "ENGINE_CHAT_AZURE_API_VERSION", ""),
        float(getattr(settings, "ENGINE_CHAT_TIMEOUT", 60.0)),
        int(getattr(settings, "ENGINE_CHAT_MAX_RETRIES", 2)),
    )
    with _cache_lock:
        provider = _cache.get(config)
        if provider is None:
            url, key, models, api_version, timeout, retries = config
            provider = ChatCompletionsProvider(
                base_url=url,
                api_key=key,
                models=list(models),
                azure_api_version=api_version,
                timeout=timeout,
                max_retries=retries,
            )
            if len(_cache) >= 8:  # settings changed many times (tests): forget the oldest
                _cache.pop(next(iter(_cache)))
            _cache[config] = provider
        return provider


def _fallback() -> str:
    fallback = getattr(settings, "ENGINE_FALLBACK_PROVIDER", "demo")
    if fallback not in FALLBACKS:
        raise ProviderError(
            f"ENGINE_FALLBACK_PROVIDER is {fallback!r}; expected one of {', '.join(FALLBACKS)}."
        )
    return fallback


def provider_for(model: str) -> Provider:
    """The provider that runs `model`.

    Raises ProviderError(code="invalid_prompt") only when ENGINE_FALLBACK_PROVIDER is "none" and
    no provider lists the model.
    """
    if model == DEMO_MODEL:
        return _demo
    chat = chat_provider()
    if chat is not None and any(info.id == model for info in chat.models()):
        return chat
    if chat is not None and chat.unreachable and not chat.models():
        # It may well serve this model: failing says so, answering with another would lie.
        raise ProviderError(chat.unreachable, code="server_error")
    fallback = _fallback()
    if fallback == "chat-completions" and chat is not None:
        return chat
    if fallback == "none":
        raise ProviderError(
            f"The model '{model}' does not exist or you do not have access to it.",
            code="invalid_prompt",
        )
    return _demo


def all_models() -> list[ModelInfo]:
    """Every model a configured provider offers, the demo first; for GET /v1/models."""
    models = _demo.models()
    chat = chat_provider()
    if chat is not None:
        models += [info for info in chat.models() if info.id != DEMO_MODEL]
    return models
