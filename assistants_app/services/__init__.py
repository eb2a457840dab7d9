"""The only code in the dashboard that speaks HTTP to an Assistants API (httpx + pydantic).

    from assistants_app.services import AssistantsClient, client_for, types
    client = client_for(Connection.objects.default())
    page = client.threads.messages.list(thread_id, order="asc")

Errors are one hierarchy (see `errors`); request bodies are validated by the `types.*Params`
models before sending, and forms may use those models directly.
"""

from . import errors, types
from ._base import NOT_GIVEN, NotGiven, RequestOptions
from ._client import AssistantsClient, AsyncAssistantsClient
from .connections import async_client_for, client_for
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AssistantsError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PollTimeoutError,
    RateLimitError,
    UnprocessableEntityError,
)
from .pagination import CursorPage
from .streaming import AssistantStream, AsyncAssistantStream
from .types import (
    AssistantCreateParams,
    AssistantUpdateParams,
    MessageCreateParams,
    MessageUpdateParams,
    RunCreateParams,
    RunSubmitToolOutputsParams,
    RunUpdateParams,
    ThreadCreateAndRunParams,
    ThreadCreateParams,
    ThreadUpdateParams,
)

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AssistantCreateParams",
    "AssistantStream",
    "AssistantUpdateParams",
    "AssistantsClient",
    "AssistantsError",
    "AsyncAssistantStream",
    "AsyncAssistantsClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CursorPage",
    "InternalServerError",
    "InvalidRequestError",
    "MessageCreateParams",
    "MessageUpdateParams",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "PollTimeoutError",
    "RateLimitError",
    "RequestOptions",
    "RunCreateParams",
    "RunSubmitToolOutputsParams",
    "RunUpdateParams",
    "ThreadCreateAndRunParams",
    "ThreadCreateParams",
    "ThreadUpdateParams",
    "UnprocessableEntityError",
    "async_client_for",
    "client_for",
    "errors",
    "types",
]
