"""What every resource shares: the client, request bodies checked against their params model,
and cursor lists whose query and options come as keyword arguments."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, TypeVar, Unpack

import pydantic

from .._base import NOT_GIVEN, APIRequest, NotGiven, RequestOptions, path_id
from ..errors import InvalidRequestError
from ..pagination import CursorPage, list_request
from ..types import ListParams

if TYPE_CHECKING:
    from .._client import AssistantsClient

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)
D = TypeVar("D", bound=pydantic.BaseModel)
R = TypeVar("R", bound="Resource")
OPTION_KEYS = RequestOptions.__optional_keys__


class ListQuery(RequestOptions, total=False):
    """A cursor list's query (checked by `ListParams`) and the per-call options."""

    limit: int | NotGiven
    order: Literal["asc", "desc"] | NotGiven
    after: str | NotGiven
    before: str | NotGiven


def checked(params: type[pydantic.BaseModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body (or query) of `values`, arguments left out (NOT_GIVEN) dropped, refused
    with `InvalidRequestError` where it breaks one of the API's limits."""
    given = {key: value for key, value in values.items() if value is not NOT_GIVEN}
    try:
        return params.model_validate(given).to_body()  # type: ignore[attr-defined]
    except pydantic.ValidationError as error:
        raise InvalidRequestError(error, model=params.__name__) from None


def split(
    arguments: Mapping[str, Any], params: type[pydantic.BaseModel]
) -> tuple[dict[str, Any], RequestOptions]:
    """Keyword arguments parted into the fields of `params` and the request options; any other
    name is refused, as Python refuses an unknown keyword argument."""
    own = {key: value for key, value in arguments.items() if key in params.model_fields}
    return own, request_options({key: arguments[key] for key in arguments.keys() - own.keys()})


def request_options(arguments: Mapping[str, Any]) -> RequestOptions:
    """`arguments` as the request options; any other name is refused, as Python refuses an
    unknown keyword argument."""
    unknown = set(arguments) - OPTION_KEYS
    if unknown:
        raise TypeError(f"Unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    return arguments  # type: ignore[return-value]


class Resource:
    def __init__(self, client: AssistantsClient) -> None:
        self._client = client

    def _call(self, method: str, path: str, cast_to: type[M], **request: Any) -> Any:
        """Carry out the request described by the arguments (see `APIRequest`) on the client,
        sync or async: what it answers, or an awaitable of it."""
        return self._client.call(APIRequest(method, path, cast_to, **request))

    def _list(
        self,
        path: str,
        item_type: type[T],
        arguments: Mapping[str, Any],
        query_params: type[pydantic.BaseModel] = ListParams,
        *,
        beta: bool = True,
        extra_query: Mapping[str, Any] | None = None,
    ) -> CursorPage[T]:
        query, options = split(arguments, query_params)
        query = {**checked(query_params, query), **(extra_query or {})}
        return CursorPage.fetch(
            self._client, list_request(path, item_type, query, beta=beta, options=options)
        )


def subresource(cls: type[R]) -> cached_property[R]:
    """A resource under this one (`threads.runs`), made on first use, on the same client."""
    return cached_property(lambda resource: cls(resource._client))


class Kind(NamedTuple):
    """A kind of top-level object: where its objects are, and what GET and DELETE answer."""

    path: str  # "assistants": each object at assistants/<id>
    id_name: str  # "assistant_id", for errors about the id
    model: type[pydantic.BaseModel]
    deleted: type[pydantic.BaseModel]
    beta: bool = True  # sends `OpenAI-Beta: assistants=v2` (not for files)


class Objects(Resource, Generic[M, D]):
    """Assistants, threads, vector stores and files: each retrieved and deleted by its id alike."""

    kind: ClassVar[Kind]

    def _object(self, object_id: str) -> str:
        return f"{self.kind.path}/{path_id(object_id, self.kind.id_name)}"

    def retrieve(self, object_id: str, /, **options: Unpack[RequestOptions]) -> M:
        path, kind = self._object(object_id), self.kind
        return self._call("GET", path, kind.model, safe=True, beta=kind.beta, options=options)

    def delete(self, object_id: str, /, **options: Unpack[RequestOptions]) -> D:
        path, kind = self._object(object_id), self.kind
        return self._call("DELETE", path, kind.deleted, safe=True, beta=kind.beta, options=options)
