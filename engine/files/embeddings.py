"""Optional embeddings for hybrid search, from the configured chat provider's `/embeddings`.

With ENGINE_EMBEDDINGS=auto (the default) and ENGINE_CHAT_BASE_URL set, chunks and queries are
embedded with ENGINE_EMBEDDING_MODEL; a server without the endpoint (404, 405, 501, or no
answer) is remembered as such for a few minutes and search stays lexical. Vectors are stored as
float32 bytes, unit length, so a dot product is their cosine.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

RETRY_AFTER = 300.0  # seconds before a server found without /embeddings is asked again
BATCH = 64  # texts per request

_unavailable: dict[str, float] = {}
_lock = threading.Lock()


def _endpoint() -> tuple[str, dict[str, str]] | None:
    base = getattr(settings, "ENGINE_CHAT_BASE_URL", "")
    mode = getattr(settings, "ENGINE_EMBEDDINGS", "auto")
    if mode == "off" or not base or getattr(settings, "ENGINE_CHAT_AZURE_API_VERSION", ""):
        return None
    url = base.rstrip("/") + "/embeddings"
    with _lock:
        if time.monotonic() < _unavailable.get(url, 0.0):
            return None
    headers = {}
    if key := getattr(settings, "ENGINE_CHAT_API_KEY", ""):
        headers["Authorization"] = f"Bearer {key}"
    return url, headers


def _embed(texts: list[str]) -> list[list[float]] | None:
    endpoint = _endpoint()
    if endpoint is None or not texts:
        return None
    url, headers = endpoint
    vectors: list[list[float]] = []
    try:
        with httpx.Client(timeout=settings.ENGINE_CHAT_TIMEOUT) as client:
            for start in range(0, len(texts), BATCH):
                response = client.post(
                    url,
                    headers=headers,
                    json={"model": settings.ENGINE_EMBEDDING_MODEL, "input": texts[start:][:BATCH]},
                )
                if response.status_code in (404, 405, 501):
                    raise LookupError(response.status_code)
                response.raise_for_status()
                data = sorted(response.json()["data"], key=lambda item: item["index"])
                vectors += [_unit(item["embedding"]) for item in data]
    except (LookupError, httpx.HTTPError, KeyError, ValueError, TypeError) as error:
        # Lexical search still works; try the server again later.
        logger.info("No embeddings from %s (%s); search stays lexical", url, error)
        with _lock:
            _unavailable[url] = time.monotonic() + RETRY_AFTER
        return None
    return vectors if len(vectors) == len(texts) else None


def _unit(vector: list[float]) -> list[float]:
    norm = sum(x * x for x in vector) ** 0.5 or 1.0
    return [x / norm for x in vector]


def embed_documents(texts: list[str]) -> list[list[float]] | None:
    return _embed(texts)


def embed_query(query: str) -> list[float] | None:
    vectors = _embed([query])
    return vectors[0] if vectors else None


def pack(vector: list[float]) -> bytes:
    return array("f", vector).tobytes()


def unpack(data: bytes | memoryview) -> array:
    values = array("f")
    values.frombytes(bytes(data))
    return values


def cosine(query: list[float], data: bytes | memoryview) -> float:
    vector = unpack(data)
    if len(vector) != len(query):
        return 0.0  # embedded with another model: not comparable
    return sum(a * b for a, b in zip(query, vector, strict=True))


def forget_failures() -> None:
    with _lock:
        _unavailable.clear()
