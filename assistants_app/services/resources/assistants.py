from __future__ import annotations

from typing import Any, Literal, Unpack

from .._base import NOT_GIVEN, NotGiven, RequestOptions, build_body, path_id
from ..pagination import CursorPage
from ..types import (
    Assistant,
    AssistantCreateParams,
    AssistantDeleted,
    AssistantUpdateParams,
    ListParams,
)
from ._resource import Resource


class Assistants(Resource):
    def create(
        self,
        *,
        model: str,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        instructions: str | NotGiven | None = NOT_GIVEN,
        reasoning_effort: str | NotGiven | None = NOT_GIVEN,
        tools: list[Any] | NotGiven = NOT_GIVEN,
        tool_resources: Any | NotGiven | None = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        temperature: float | NotGiven | None = NOT_GIVEN,
        top_p: float | NotGiven | None = NOT_GIVEN,
        response_format: Any | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Assistant:
        body = build_body(AssistantCreateParams, locals())
        return self._client.request(
            "POST", "assistants", Assistant, safe=False, body=body, options=options
        )

    def retrieve(self, assistant_id: str, **options: Unpack[RequestOptions]) -> Assistant:
        path = f"assistants/{path_id(assistant_id, 'assistant_id')}"
        return self._client.request("GET", path, Assistant, safe=True, options=options)

    def update(
        self,
        assistant_id: str,
        *,
        model: str | NotGiven = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        instructions: str | NotGiven | None = NOT_GIVEN,
        reasoning_effort: str | NotGiven | None = NOT_GIVEN,
        tools: list[Any] | NotGiven = NOT_GIVEN,
        tool_resources: Any | NotGiven | None = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        temperature: float | NotGiven | None = NOT_GIVEN,
        top_p: float | NotGiven | None = NOT_GIVEN,
        response_format: Any | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Assistant:
        path = f"assistants/{path_id(assistant_id, 'assistant_id')}"
        body = build_body(AssistantUpdateParams, locals(), skip=("assistant_id",))
        # Setting fields to given values is idempotent: safe to retry.
        return self._client.request("POST", path, Assistant, safe=True, body=body, options=options)

    def list(
        self,
        *,
        limit: int | NotGiven = NOT_GIVEN,
        order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN,
        after: str | NotGiven = NOT_GIVEN,
        before: str | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> CursorPage[Assistant]:
        query = build_body(ListParams, locals())
        return CursorPage.fetch(self._client, "assistants", Assistant, query=query, options=options)

    def delete(self, assistant_id: str, **options: Unpack[RequestOptions]) -> AssistantDeleted:
        path = f"assistants/{path_id(assistant_id, 'assistant_id')}"
        return self._client.request("DELETE", path, AssistantDeleted, safe=True, options=options)
