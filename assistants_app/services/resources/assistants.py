from __future__ import annotations

from typing import Any, Unpack

from .._base import NOT_GIVEN, NotGiven, RequestOptions, path_id
from ..pagination import CursorPage
from ..types import Assistant, AssistantCreateParams, AssistantDeleted, AssistantUpdateParams
from ._resource import Kind, ListQuery, Objects, checked, split


class AssistantFields(RequestOptions, total=False):
    """What an assistant is made of besides its model: the body of create and of update (the
    params models hold the API's limits). None clears a field on update."""

    name: str | None
    description: str | None
    instructions: str | None
    reasoning_effort: str | None
    tools: list[Any]
    tool_resources: Any | None
    metadata: dict[str, str] | None
    temperature: float | None
    top_p: float | None
    response_format: Any | None


class Assistants(Objects[Assistant, AssistantDeleted]):
    kind = Kind("assistants", "assistant_id", Assistant, AssistantDeleted)

    def create(self, *, model: str, **fields: Unpack[AssistantFields]) -> Assistant:
        given, options = split(fields, AssistantCreateParams)
        body = checked(AssistantCreateParams, {"model": model, **given})
        return self._call("POST", "assistants", Assistant, safe=False, body=body, options=options)

    def update(
        self,
        assistant_id: str,
        *,
        model: str | NotGiven = NOT_GIVEN,
        **fields: Unpack[AssistantFields],
    ) -> Assistant:
        path = f"assistants/{path_id(assistant_id, 'assistant_id')}"
        given, options = split(fields, AssistantUpdateParams)
        body = checked(AssistantUpdateParams, {"model": model, **given})
        # Setting fields to given values is idempotent: safe to retry.
        return self._call("POST", path, Assistant, safe=True, body=body, options=options)

    def list(self, **query: Unpack[ListQuery]) -> CursorPage[Assistant]:
        return self._list("assistants", Assistant, query)
