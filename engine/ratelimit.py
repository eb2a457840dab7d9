"""Requests per engine key are limited: ENGINE_RATE_LIMIT_REQUESTS per
ENGINE_RATE_LIMIT_WINDOW_SECONDS (0 turns the limit off). Over the limit, /v1 answers 429 in the
API's error envelope with `Retry-After`, as OpenAI does, so the SDK waits and retries by itself.

The count lives in the default cache: with several web processes, CACHE_URL must name a shared
cache (Redis, or the database cache) for the limit to hold across them. The dashboard's own key
is not limited: it serves every signed-in person at once, and pages are behind login already.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse

from .errors import ApiError


def refused(request: HttpRequest) -> JsonResponse | None:
    """A 429 response when the request's key is over its limit, else None (go on)."""
    key = getattr(request, "engine_key", None)
    limit = settings.ENGINE_RATE_LIMIT_REQUESTS
    if key is None or limit <= 0:
        return None
    window = max(1, settings.ENGINE_RATE_LIMIT_WINDOW_SECONDS)
    now = time.time()
    # A fixed window per key: one counter, created with its expiry, incremented atomically.
    start = int(now // window) * window
    counter = f"engine:ratelimit:{key.key_hash[:24]}:{start}"
    cache.add(counter, 0, timeout=window + 1)
    try:
        count = cache.incr(counter)
    except ValueError:  # evicted between add and incr
        cache.set(counter, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return None
    wait = max(1, math.ceil(start + window - now))
    message = (
        f"Rate limit reached for this API key ({key.name}): {limit} requests per {window} s. "
        f"Please try again in {wait} s."
    )
    response = ApiError(429, message, type="requests", code="rate_limit_exceeded").response()
    response["Retry-After"] = str(wait)
    response["x-ratelimit-limit-requests"] = str(limit)
    response["x-ratelimit-remaining-requests"] = "0"
    response["x-ratelimit-reset-requests"] = f"{wait}s"
    return response
