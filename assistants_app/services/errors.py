"""One exception hierarchy for everything that can go wrong talking to an Assistants API.

    AssistantsError
    ├── InvalidRequestError          refused locally, before anything was sent (also ValueError)
    └── APIError                     something happened on the wire
        ├── APIConnectionError       the backend could not be reached
        │   └── APITimeoutError      …or did not answer in time
        │       └── PollTimeoutError a run did not stop before the polling deadline
        ├── APIResponseValidationError  a 2xx answer we cannot parse
        ├── APIStreamError           an `error` event in the middle of a stream
        └── APIStatusError           any 4xx/5xx answer
            ├── BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403,
            ├── NotFoundError 404, ConflictError 409, UnprocessableEntityError 422,
            └── RateLimitError 429, InternalServerError 5xx

Errors carry data, not sentences: `.message` (the API's own words, or ours for what happened
before or beside it), and where the backend said so `.status`, `.code`, `.param`, `.type`,
`.request_id` (x-request-id) and `.body`. The words a person reads are chosen at the boundary
(`assistants_app.error_words.in_words`), never in the client.
"""

from __future__ import annotations

import email.utils
import time
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import pydantic

    from .types import Run


class AssistantsError(Exception):
    """Base of every error this client raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def field_errors(self) -> dict[str, list[str]]:
        """Errors keyed by the top-level request field they concern ("" when none)."""
        return {}


class InvalidRequestError(AssistantsError, ValueError):
    """A request refused before sending: a value breaks one of the API's limits.

    Wraps the pydantic `ValidationError`; `errors()` returns its list, `field_errors()` maps
    each top-level field ("name", "tools", "metadata"…) to readable messages, for forms.
    """

    def __init__(self, error: pydantic.ValidationError, *, model: str = "") -> None:
        self.validation_error = error
        lines = [f"{_loc(item['loc']) or '(body)'}: {item['msg']}" for item in error.errors()]
        super().__init__(f"Invalid {model or 'request'}: " + "; ".join(lines))

    def errors(self) -> list[dict[str, Any]]:
        return self.validation_error.errors()  # type: ignore[return-value]

    def field_errors(self) -> dict[str, list[str]]:
        fields: dict[str, list[str]] = {}
        for item in self.errors():
            loc = item["loc"]
            field = str(loc[0]) if loc else ""
            detail = _loc(loc[1:])
            text = f"{detail}: {item['msg']}" if detail else item["msg"]
            fields.setdefault(field, []).append(text)
        return fields


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """("tools", 0, "function", "name") -> "tools[0].function.name"."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class APIError(AssistantsError):
    """An error met on the wire; carries what the backend told us, if anything."""

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
        body: Any = None,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        self.response = response
        self.body = body
        self.code = code
        self.param = param
        self.type = type
        if response is not None:
            self.status = response.status_code
        if request_id is None and response is not None:
            request_id = response.headers.get("x-request-id")
        self.request_id = request_id

    def __str__(self) -> str:
        details = [
            f"{name}={value}"
            for name, value in (
                ("status", self.status),
                ("code", self.code),
                ("param", self.param),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def field_errors(self) -> dict[str, list[str]]:
        if not self.param:
            return {}
        # "tools[0].function.name" concerns the "tools" field of the form.
        field = self.param.split("[", 1)[0].split(".", 1)[0]
        return {field: [self.message]}


class APIConnectionError(APIError):
    """The backend could not be reached (refused, reset, DNS, TLS…)."""


class APITimeoutError(APIConnectionError):
    """The backend did not answer within the timeout."""


class PollTimeoutError(APITimeoutError):
    """`runs.poll` gave up: the run did not stop before the deadline. `.run` is the last seen."""

    def __init__(self, message: str, *, run: Run) -> None:
        super().__init__(message)
        self.run = run


class APIResponseValidationError(APIError):
    """A 2xx answer that is not JSON or does not fit the expected model."""


class APIStreamError(APIError):
    """An `error` event in a stream: the backend gave up part-way through a run."""


# The error class for each status the API names (filled in as the classes below are made).
STATUS_ERRORS: dict[int, type[APIStatusError]] = {}


class APIStatusError(APIError):
    """The backend answered with a 4xx or 5xx status."""

    # Seconds the backend asked us to wait (Retry-After), when it said so.
    retry_after: float | None = None

    def __init_subclass__(cls, *, status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
            STATUS_ERRORS[status] = cls


class BadRequestError(APIStatusError, status=400): ...


class AuthenticationError(APIStatusError, status=401): ...


class PermissionDeniedError(APIStatusError, status=403): ...


class NotFoundError(APIStatusError, status=404): ...


class ConflictError(APIStatusError, status=409): ...


class UnprocessableEntityError(APIStatusError, status=422): ...


class RateLimitError(APIStatusError, status=429): ...


class InternalServerError(APIStatusError):
    """Any 5xx answer."""


def status_error(response: httpx.Response) -> APIStatusError:
    """Build the right error from a 4xx/5xx response and the API's error envelope in it."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = body if isinstance(body, dict) and "message" in body else {}
    message = error.get("message") or (
        body if isinstance(body, str) and body.strip() else response.reason_phrase
    )
    code = error.get("code")
    cls = STATUS_ERRORS.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    error_object = cls(
        str(message)[:2000] or f"HTTP {response.status_code}",
        request=response.request,
        response=response,
        body=body,
        code=str(code) if code is not None else None,
        param=error.get("param"),
        type=error.get("type"),
    )
    error_object.retry_after = retry_after(response.headers)
    return error_object


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the backend asked us to wait: `retry-after-ms`, else `Retry-After` (seconds or
    an HTTP date), else None."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(float(value) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
