"""Any OpenAI-compatible `/chat/completions` endpoint: OpenAI, Azure OpenAI, Ollama, vLLM,
llama.cpp server, LM Studio…, through the official `openai` SDK (its HTTP, SSE parsing and
retries with backoff honouring Retry-After; a Retry-After over ten seconds fails the run at
once instead of holding a worker).

Requests stream (`stream: true` with usage included); a server that answers with one JSON
body instead is understood too. Failures become `ProviderError`s whose messages name the
server's host and status but never the API key. Listing models, and counting tokens where the
server can (llama.cpp's and vLLM's `/tokenize`), are plain HTTP beside the SDK.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import httpx2
import openai

from .base import (
    ChatMessage,
    ChatRequest,
    Finish,
    ModelInfo,
    ProviderError,
    ProviderEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from .demo import estimate_tokens, prompt_text

logger = logging.getLogger(__name__)

_FINISH_REASONS = {
    "stop": "stop",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
}
_MAX_RETRY_WAIT = 10.0  # seconds; a longer Retry-After fails the run instead of blocking a worker
_MODELS_TTL = 300.0  # seconds a discovered model list is reused
_MODELS_RETRY = 10.0  # seconds before a failed model listing is tried again
_ERROR_DETAIL_LIMIT = 300


def _message(message: ChatMessage) -> dict[str, Any]:
    content = message.content
    if content is None and not (message.role == "assistant" and message.tool_calls):
        content = ""  # only an assistant message with tool calls may have null content
    wire: dict[str, Any] = {"role": message.role, "content": content}
    if message.role == "assistant" and message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.role == "tool":
        wire["tool_call_id"] = message.tool_call_id
    return wire


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    # Some servers reject explicit nulls (e.g. "strict": null) they would accept if absent.
    function = {k: v for k, v in (tool.get("function") or {}).items() if v is not None}
    return {**tool, "function": function}


def request_body(request: ChatRequest) -> dict[str, Any]:
    """The JSON body of a streaming chat-completions request for `request`."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_message(m) for m in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if any(t.get("type") == "function" for t in request.tools):
        # OpenAI refuses tool_choice / parallel_tool_calls when no tools are sent.
        # Only function tools exist in chat completions; file_search etc. are the engine's own.
        body["tools"] = [_tool(t) for t in request.tools if t.get("type") == "function"]
        if request.tool_choice is not None:
            body["tool_choice"] = request.tool_choice
        body["parallel_tool_calls"] = request.parallel_tool_calls
    optional = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_completion_tokens": request.max_completion_tokens,
        "reasoning_effort": request.reasoning_effort,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if isinstance(request.response_format, dict):
        body["response_format"] = request.response_format
    return body


class _Client(openai.OpenAI):
    def _should_retry(self, response: httpx2.Response) -> bool:
        wait = self._parse_retry_after_header(response.headers)
        if wait is not None and wait > _MAX_RETRY_WAIT:
            return False  # fail the run now, saying when to retry, rather than block a worker
        return super()._should_retry(response)


TOKENIZING_KINDS = {"vllm", "llamacpp", "openai-compatible"}


class ChatCompletionsProvider:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        models: list[str] | None = None,
        azure_api_version: str = "",
        timeout: float = 60.0,
        max_retries: int = 2,
        kind: str = "openai-compatible",
        extra_headers: dict[str, str] | None = None,
        name: str = "chat-completions",
    ) -> None:
        base_url = base_url.rstrip("/")
        if kind == "azure" and "{model}" not in base_url:
            base_url += "/openai/deployments/{model}"  # a resource's endpoint, as Azure shows it
        self.base_url = base_url
        self.api_key = api_key
        self.configured_models = list(models or [])
        self.azure_api_version = azure_api_version
        self.timeout = timeout
        self.max_retries = max_retries
        self.kind = kind
        self.extra_headers = dict(extra_headers or {})
        self.name = name
        self.host = urlsplit(self.base_url).hostname or self.base_url
        self._client: _Client | None = None
        self._per_model: dict[str, _Client] = {}
        self._http: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self._discovered: tuple[float, list[ModelInfo]] | None = None
        self._listed: list[ModelInfo] | None = None  # the last listing that worked
        self.unreachable = ""  # why the last listing failed, in words; "" when it worked
        self._tokenize_off_until = 0.0

    # -- plumbing -------------------------------------------------------------------------

    @property
    def client(self) -> _Client:
        """One SDK client per provider, shared by worker threads (its pool is thread-safe)."""
        with self._client_lock:
            if self._client is None:
                self._client = _Client(
                    base_url=self.base_url,
                    api_key=self.api_key or "unused",
                    max_retries=self.max_retries,
                    timeout=openai.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                    default_headers=self.extra_headers,
                    default_query=self._params(),
                )
            return self._client

    def _client_for(self, model: str) -> _Client:
        if "{model}" not in self.base_url:
            return self.client
        with self._client_lock:
            client = self._per_model.get(model)
        if client is None:
            client = self.client.with_options(base_url=self._url("", model))
            with self._client_lock:
                if len(self._per_model) >= 64:
                    self._per_model.clear()
                self._per_model[model] = client
        return client

    @property
    def http(self) -> httpx.Client:
        """Plain HTTP for what the SDK does not cover: Ollama's tags, /tokenize."""
        with self._client_lock:
            if self._http is None:
                self._http = httpx.Client(timeout=min(self.timeout, 5.0))
            return self._http

    def close(self) -> None:
        for client in (self._client, self._http):
            if client is not None:
                client.close()

    def _url(self, path: str, model: str = "") -> str:
        # Azure-style bases may hold "{model}", e.g. …/openai/deployments/{model}. Quoted
        # whole (even "/"): a model name is one path segment, never a way to another URL.
        segment = quote(model, safe="")
        if segment.strip("."):
            return self.base_url.replace("{model}", segment) + path
        return self.base_url.replace("{model}", segment.replace(".", "%2E")) + path  # "." / ".."

    @property
    def root(self) -> str:
        """The server's root, where llama.cpp, vLLM and Ollama keep their own endpoints."""
        return self.base_url.removesuffix("/v1")

    def _headers(self) -> dict[str, str]:
        headers = dict(self.extra_headers)
        if self.api_key:
            if self.azure_api_version:
                headers["api-key"] = self.api_key
            else:
                headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _sdk_headers(self) -> dict[str, Any]:
        if self.api_key and not self.azure_api_version:
            return {}  # the SDK's own Bearer header
        headers: dict[str, Any] = {"Authorization": openai.Omit()}
        if self.api_key:
            headers["api-key"] = self.api_key
        return headers

    def _params(self) -> dict[str, str]:
        return {"api-version": self.azure_api_version} if self.azure_api_version else {}

    def _scrub(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text

    def _error(self, message: str, code: str = "server_error") -> ProviderError:
        return ProviderError(self._scrub(message), code=code)  # type: ignore[arg-type]

    # -- models ---------------------------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        """The configured model names; with none configured, what the server lists (kept for
        a while; during an outage, the last listing that worked)."""
        if self.configured_models:
            return [self._info(name) for name in self.configured_models]
        now = time.monotonic()
        if self._discovered and now - self._discovered[0] < _MODELS_TTL:
            return self._discovered[1]
        try:
            names = self.list_models()
        except ProviderError as error:
            logger.warning("%s", error.message)
            self.unreachable = error.message
            # Ask again soon, and meanwhile keep what it served: an outage must not send its
            # models anywhere else.
            self._discovered = (now - _MODELS_TTL + _MODELS_RETRY, self._listed or [])
            return self._listed or []
        found = [self._info(name) for name in names]
        self._discovered = (now, found)
        self._listed, self.unreachable = found, ""
        return found

    def list_models(self) -> list[str]:
        """The names the server lists now (Ollama: its pulled models); ProviderError in words
        when it cannot say."""
        try:
            if self.kind == "ollama":
                response = self.http.get(self.root + "/api/tags", headers=self._headers())
                response.raise_for_status()
                return [m["name"] for m in response.json().get("models", []) if m.get("name")]
            response = self.http.get(
                self._url("/models"), headers=self._headers(), params=self._params()
            )
            response.raise_for_status()
            return [item["id"] for item in response.json().get("data", []) if item.get("id")]
        except (httpx.HTTPError, ValueError, AttributeError, TypeError, KeyError) as exc:
            raise self._error(
                f"Could not list the models of the model server at {self.host} "
                f"({_why(exc)}); it may be down or unreachable."
            ) from None

    def _info(self, name: str) -> ModelInfo:
        return ModelInfo(id=name, owned_by=self.host, description=f"{name} via {self.host}")

    def count_tokens(self, model: str, text: str) -> int | None:
        """The server's own count of `text` where it offers `/tokenize` at its root (llama.cpp
        server, vLLM); None elsewhere, asked again after a while."""
        if (
            self.kind not in TOKENIZING_KINDS
            or "{model}" in self.base_url
            or time.monotonic() < self._tokenize_off_until
        ):
            return None
        try:
            response = self.http.post(
                self.root + "/tokenize",
                json={"model": model, "content": text, "prompt": text},
                headers=self._headers(),
            )
            response.raise_for_status()
            payload = response.json()
            count = payload.get("count")
            return int(count) if count is not None else len(payload["tokens"])
        except (httpx.HTTPError, ValueError, AttributeError, TypeError, KeyError):
            self._tokenize_off_until = time.monotonic() + _MODELS_TTL
            return None

    # -- chat -----------------------------------------------------------------------------

    def stream(self, request: ChatRequest) -> Iterator[ProviderEvent]:
        body = request_body(request)
        client = self._client_for(request.model)
        try:
            raw = client.chat.completions.with_raw_response.create(
                **body, extra_headers=self._sdk_headers()
            )
        except openai.APITimeoutError:
            raise self._timeout() from None
        except openai.APIConnectionError:
            raise self._error(f"Could not connect to the model server at {self.host}.") from None
        except openai.APIStatusError as error:
            raise self._status_error(error.response) from None
        response = raw.http_response
        try:
            if "text/event-stream" in response.headers.get("content-type", ""):
                yield from self._events(raw.parse(), request)
            else:
                response.read()
                yield from self._whole(response, request)
        except httpx2.TimeoutException:
            raise self._timeout() from None
        except httpx2.HTTPError as exc:
            raise self._error(
                f"The connection to the model server at {self.host} failed: {type(exc).__name__}."
            ) from None
        finally:
            response.close()  # a cancelled run lets go of its connection at once

    def _timeout(self) -> ProviderError:
        return self._error(
            f"The model server at {self.host} did not answer within {self.timeout:g} seconds."
        )

    def _status_error(self, response: httpx2.Response) -> ProviderError:
        status = response.status_code
        detail = self._detail(response)
        if status == 429:
            wait = _retry_after(response.headers)
            hint = f" Retry after {wait:g} seconds." if wait is not None else ""
            return self._error(
                f"The model server at {self.host} is rate limiting requests (HTTP 429)."
                f"{hint}{detail}",
                "rate_limit_exceeded",
            )
        if status in (400, 413, 422):
            return self._error(
                f"The model server at {self.host} rejected the request (HTTP {status}).{detail}",
                "invalid_prompt",
            )
        if status in (401, 403):
            return self._error(
                f"The model server at {self.host} refused the API key (HTTP {status}).{detail}"
            )
        return self._error(f"The model server at {self.host} failed (HTTP {status}).{detail}")

    def _detail(self, response: httpx2.Response) -> str:
        try:
            payload = response.json()
            error = payload.get("error", payload) if isinstance(payload, dict) else payload
            text = error.get("message") if isinstance(error, dict) else error
            text = str(text) if text else response.text
        except ValueError:
            text = response.text
        text = " ".join(self._scrub(text).split())[:_ERROR_DETAIL_LIMIT]
        return f" It said: {text}" if text else ""

    def _events(self, chunks: openai.Stream[Any], request: ChatRequest) -> Iterator[ProviderEvent]:
        state = _StreamState()
        try:
            for chunk in chunks:
                yield from self._read(state, chunk.to_dict())
        except openai.APIError as error:  # an {"error": …} event in the stream
            raise self._error(
                f"The model server at {self.host} failed mid-stream: "
                f"{' '.join(str(error.message).split())[:_ERROR_DETAIL_LIMIT]}"
            ) from None
        except ValueError as error:
            raise self._error(
                f"The model server at {self.host} sent a malformed stream (not JSON: {error})."
            ) from None
        if state.finish is None:
            raise self._error(f"The model server at {self.host} ended the stream before finishing.")
        yield from state.close(request)

    def _whole(self, response: httpx2.Response, request: ChatRequest) -> Iterator[ProviderEvent]:
        try:
            payload = response.json()
            choice = (payload.get("choices") or [{}])[0]
            message = choice.get("message") or {}
        except (ValueError, AttributeError, IndexError):
            raise self._error(
                f"The model server at {self.host} sent a malformed answer (not a chat completion)."
            ) from None
        state = _StreamState()
        delta = {"content": message.get("content"), "tool_calls": []}
        for index, call in enumerate(message.get("tool_calls") or []):
            delta["tool_calls"].append({**call, "index": call.get("index", index)})
        chunk = {"choices": [{"delta": delta, "finish_reason": choice.get("finish_reason")}]}
        yield from self._read(state, {**chunk, "usage": payload.get("usage")})
        yield from state.close(request)

    def _read(self, state: _StreamState, chunk: Any) -> list[ProviderEvent]:
        try:
            return list(state.read(chunk, self))
        except (AttributeError, TypeError, ValueError):  # a chunk of the wrong shape
            raise self._error(
                f"The model server at {self.host} sent a malformed chunk: {str(chunk)[:80]!r}."
            ) from None


class _StreamState:
    """What a chat-completions stream has said so far; Usage and Finish come out last."""

    def __init__(self) -> None:
        self.done = False
        self.finish: str | None = None
        self.usage: Usage | None = None
        self.completion = ""
        self.call_ids: dict[int, str] = {}

    def read(self, chunk: Any, provider: ChatCompletionsProvider) -> Iterator[ProviderEvent]:
        if chunk.get("error"):
            error = chunk["error"]
            text = error.get("message") if isinstance(error, dict) else error
            raise provider._error(
                f"The model server at {provider.host} failed mid-stream: "
                f"{' '.join(str(text).split())[:_ERROR_DETAIL_LIMIT]}"
            )
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = Usage(
                int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            )
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if delta.get("content"):
                self.completion += delta["content"]
                yield TextDelta(delta["content"])
            for call in delta.get("tool_calls") or []:
                function = call.get("function") or {}
                arguments = function.get("arguments") or ""
                self.completion += (function.get("name") or "") + arguments
                yield ToolCallDelta(
                    index=self._index(call),
                    id=call.get("id") or None,
                    name=function.get("name") or None,
                    arguments=arguments,
                )
            if choice.get("finish_reason"):
                self.finish = _FINISH_REASONS.get(choice["finish_reason"], "stop")

    def _index(self, call: dict[str, Any]) -> int:
        # Some servers omit "index" and send each call whole: a new id means a new call.
        if "index" in call:
            index = int(call["index"])
        elif call.get("id") and call["id"] not in self.call_ids.values():
            index = len(self.call_ids)
        else:
            index = max(self.call_ids, default=0)
        if call.get("id"):
            self.call_ids.setdefault(index, call["id"])
        return index

    def close(self, request: ChatRequest) -> Iterator[ProviderEvent]:
        # Servers that ignore stream_options send no usage: estimate rather than record zero.
        yield self.usage or Usage(
            estimate_tokens(prompt_text(request)), estimate_tokens(self.completion), estimated=True
        )
        yield Finish(self.finish or "stop")  # type: ignore[arg-type]


def _why(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "no connection"
    return type(exc).__name__


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
