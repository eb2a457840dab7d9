"""The transport under every resource: headers, timeouts, retries, error mapping, parsing.

Retry policy (why a user's message or run is never sent twice):
- A *safe* call (GET, DELETE, metadata/field updates that set the same state again) is retried
  on any connection error or timeout and on 408, 409, 429 and 5xx.
- An *unsafe* call (anything that creates: messages, runs, threads, assistants, files, tool
  output submissions, cancel) is retried only when the backend provably did not act on it: the
  connection failed before the request was sent (connect error, connect or pool timeout), or
  the backend answered 408, 409 or 429, which refuse a request without performing it. After a
  read timeout, a dropped connection or a 5xx, the request may have been carried out, so the
  error is raised and the caller decides (the dashboard shows the thread, which tells).
- Unsafe calls also carry an `Idempotency-Key` (the same on each attempt) that a backend may
  use to drop duplicates; the policy above does not rely on it.
- Backoff is exponential with jitter (0.5 s, 1 s, 2 s… up to 8 s, minus up to 25 %), replaced
  by the backend's `retry-after-ms` / `Retry-After` when given. A backend asking for a longer
  wait than `max_retry_wait` (20 s) gets no retry: the error is raised at once, with
  `.retry_after` set, rather than holding a page for that long.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Generic, TypedDict, TypeVar
from urllib.parse import quote

import httpx
import pydantic

from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    retry_after,
    status_error,
)
from .streaming import AssistantStream, AsyncAssistantStream, is_event_stream, not_a_stream

M = TypeVar("M", bound=pydantic.BaseModel)

VERSION = "0.1.0"
USER_AGENT = f"AssistantStudio/{VERSION} (+httpx {httpx.__version__})"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
RETRY_BASE_DELAY = 0.5
RETRY_MAX_BACKOFF = 8.0
MAX_RETRY_WAIT = 20.0
# Besides 5xx. These say "not done" for certain, so even a create may be retried after them.
REFUSED_STATUSES = frozenset({408, 409, 429})
# Failures that happen before a single byte of the request reaches the backend.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


class NotGiven:
    """Marks an argument the caller left out (None is a value: it clears a field)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


class RequestOptions(TypedDict, total=False):
    """Per-call options every method accepts besides its own arguments."""

    timeout: float | httpx.Timeout | None
    max_retries: int
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    extra_body: Mapping[str, Any]


@dataclass(frozen=True)
class APIRequest(Generic[M]):
    """One call to the API, described once by its resource method: what is sent, how it may be
    retried, and what comes back. The sync and async clients differ only in carrying it out."""

    method: str
    path: str
    cast_to: type[M] | None = None  # None: the caller reads the response itself (`send`)
    _: KW_ONLY
    safe: bool  # may be retried after the backend could have acted on it (see above)
    body: Mapping[str, Any] | None = None
    query: Mapping[str, Any] | None = None
    files: Any = None
    data: Mapping[str, Any] | None = None
    beta: bool = True  # sends `OpenAI-Beta: assistants=v2`
    headers: Mapping[str, str] | None = None
    options: RequestOptions = field(default_factory=RequestOptions)
    stream: bool = False  # asks for server-sent events and keeps the response open


def path_id(value: str, name: str) -> str:
    """An id for a URL path: required, and escaped so it cannot change the path."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"Expected a non-empty value for `{name}`, got {value!r}")
    return quote(value, safe="")


class BaseClient:
    """Holds the httpx client and sends requests with the retry policy above."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        azure: bool = False,
        api_version: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_retry_wait: float = MAX_RETRY_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not base_url:
            raise ValueError("base_url is required, e.g. https://api.example.com/v1")
        if azure and not api_version:
            raise ValueError("An Azure connection needs an api_version, e.g. 2024-05-01-preview")
        self.base_url = str(base_url).rstrip("/")
        self.api_key = api_key
        self.organization = organization or None
        self.project = project or None
        self.azure = azure
        self.api_version = api_version or None
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        # Injectable for tests of backoff and deadlines (no real waiting needed).
        self._sleep = sleep
        self._monotonic = monotonic
        self._owns_http = http_client is None
        self._http = http_client or self._new_http(timeout)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if azure:
            headers["api-key"] = api_key
        elif api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        headers.update(default_headers or {})
        self._headers = headers
        self._beta_headers = {**headers, "OpenAI-Beta": "assistants=v2"}

    def _new_http(self, timeout: float | httpx.Timeout | None) -> Any:
        return httpx.Client(timeout=timeout, follow_redirects=False)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"

    # -- requests ----------------------------------------------------------------------------

    def build_request(self, spec: APIRequest[Any]) -> httpx.Request:
        options = spec.options
        params = {key: value for key, value in (spec.query or {}).items() if value is not None}
        params.update(options.get("extra_query") or {})
        if self.api_version:
            params.setdefault("api-version", self.api_version)
        headers = {**(self._beta_headers if spec.beta else self._headers), **(spec.headers or {})}
        headers.update(options.get("extra_headers") or {})
        if not spec.safe:
            # The same key on every attempt, since the one request object is sent each time.
            headers.setdefault("Idempotency-Key", f"studio-{uuid.uuid4()}")
        if spec.stream:
            headers["Accept"] = "text/event-stream"
        extra_body = options.get("extra_body")
        content = None
        if spec.body is not None or (extra_body and spec.files is None):
            payload = {**(spec.body or {}), **(extra_body or {})}
            content = json.dumps(payload, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        return self._http.build_request(
            spec.method,
            f"{self.base_url}/{spec.path}",
            params=params or None,
            content=content,
            files=spec.files,
            data=spec.data,
            headers=headers,
            timeout=options.get("timeout", self.timeout),  # type: ignore[arg-type]
        )

    def send(self, spec: APIRequest[Any]) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises an `APIError`."""
        request = self.build_request(spec)
        retries = Retries(self, request, spec)
        while True:
            try:
                response = self._http.send(request, stream=spec.stream)
            except httpx.TransportError as error:
                delay = retries.after_error(error)
            else:
                if response.is_success:
                    return response
                response.read()  # an error's body is short, and its message is in it
                delay = retries.after_status(response)
            self._sleep(delay)

    def parse(self, response: httpx.Response, cast_to: type[M]) -> M:
        """Validate a 2xx JSON body into `cast_to`; a body that does not fit is an error."""
        try:
            return cast_to.model_validate_json(response.content)
        except pydantic.ValidationError as error:
            invalid_json = any(item["type"] == "json_invalid" for item in error.errors())
            what = "is not JSON" if invalid_json else f"does not fit {cast_to.__name__}"
            raise APIResponseValidationError(
                f"The backend's answer to {response.request.method} "
                f"{response.request.url.path} {what}: {str(error)[:500]}",
                request=response.request,
                response=response,
                body=response.text[:2000],
            ) from None

    def call(self, spec: APIRequest[M]) -> Any:
        """The answer parsed into `spec.cast_to`, or with `spec.stream` an `AssistantStream`."""
        response = self.send(spec)
        if spec.stream and not is_event_stream(response):
            response.read()
            raise not_a_stream(response)
        if spec.stream:
            return AssistantStream(response)
        return self.parse(response, spec.cast_to)  # type: ignore[arg-type]


class Retries:
    """The retry policy above, for one request: the wait before each next attempt, or the
    error to raise instead. The sync and async clients send; this decides."""

    def __init__(self, client: BaseClient, request: httpx.Request, spec: APIRequest[Any]) -> None:
        max_retries = spec.options.get("max_retries")
        self.left = client.max_retries if max_retries is None else max_retries
        self.attempt = 0
        self.safe = spec.safe
        self.max_wait = client.max_retry_wait
        self.request = request

    def after_error(self, error: httpx.TransportError) -> float:
        """The wait before retrying after `error`, or the error raised as ours."""
        if self.left > 0 and (self.safe or isinstance(error, NOT_SENT_ERRORS)):
            return self._spend(backoff(self.attempt))
        request = self.request
        if isinstance(error, httpx.TimeoutException):
            raise APITimeoutError(
                f"Request timed out: {request.method} {request.url.path}", request=request
            ) from error
        raise APIConnectionError(
            f"Connection error: {type(error).__name__}: {error}", request=request
        ) from error

    def after_status(self, response: httpx.Response) -> float:
        """The wait before retrying after this 4xx/5xx answer, or its error raised."""
        delay = self._status_delay(response) if self.left > 0 else None
        if delay is None:
            raise status_error(response)
        return self._spend(delay)

    def _status_delay(self, response: httpx.Response) -> float | None:
        should = response.headers.get("x-should-retry")
        status = response.status_code
        if should == "false":
            return None
        if status in REFUSED_STATUSES:
            pass  # refused without being performed: any call may go again
        elif not self.safe:
            return None  # a create may have been carried out; "x-should-retry" cannot undo that
        elif should != "true" and status < 500:
            return None
        wait = retry_after(response.headers)
        if wait is None:
            return backoff(self.attempt)
        return wait if wait <= self.max_wait else None

    def _spend(self, delay: float) -> float:
        self.left -= 1
        self.attempt += 1
        return delay


def backoff(attempt: int) -> float:
    delay = min(RETRY_BASE_DELAY * 2**attempt, RETRY_MAX_BACKOFF)
    return delay * (1 - 0.25 * random.random())


class AsyncBaseClient(BaseClient):
    """`BaseClient` over an `httpx.AsyncClient`: the same requests, retry policy and parsing;
    `send` and `call` are awaited. For views that stream under ASGI."""

    _http: httpx.AsyncClient  # type: ignore[assignment]

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(http_client=http_client, **kwargs)  # type: ignore[arg-type]
        self._async_sleep = sleep

    def _new_http(self, timeout: float | httpx.Timeout | None) -> Any:
        return httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        raise TypeError("An async client is closed with `await client.aclose()`")

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def send(self, spec: APIRequest[Any]) -> httpx.Response:  # type: ignore[override]
        request = self.build_request(spec)
        retries = Retries(self, request, spec)
        while True:
            try:
                response = await self._http.send(request, stream=spec.stream)
            except httpx.TransportError as error:
                delay = retries.after_error(error)
            else:
                if response.is_success:
                    return response
                await response.aread()
                delay = retries.after_status(response)
            await self._async_sleep(delay)

    async def call(self, spec: APIRequest[M]) -> Any:  # type: ignore[override]
        """`BaseClient.call`, awaited; a stream is an `AsyncAssistantStream`."""
        response = await self.send(spec)
        if spec.stream and not is_event_stream(response):
            await response.aread()
            raise not_a_stream(response)
        if spec.stream:
            return AsyncAssistantStream(response)
        return self.parse(response, spec.cast_to)  # type: ignore[arg-type]
