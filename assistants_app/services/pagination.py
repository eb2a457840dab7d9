"""Cursor pages: `{object: "list", data, first_id, last_id, has_more}` and walking across them.

A page remembers the query that produced it. Walking follows the direction of that query:
a list fetched with `after=` (or no cursor) continues with `after=<last id>`; a list fetched
with `before=` continues with `before=<first id>`, towards the other end. `next_page()` and
`previous_page()` go explicitly one way or the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import Field

from ._base import APIRequest
from .types import APIModel

if TYPE_CHECKING:
    from ._base import BaseClient, RequestOptions

T = TypeVar("T")


class ListBody(APIModel, Generic[T]):
    object: str = "list"
    data: list[T] = Field(default_factory=list)
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


def list_request(
    path: str,
    item_type: type[T],
    query: Mapping[str, Any],
    *,
    beta: bool = True,
    options: RequestOptions,
) -> APIRequest[ListBody[T]]:
    """GET of one page of a list (reading a list changes nothing: safe to retry)."""
    body_type = ListBody[item_type]  # type: ignore[valid-type]
    return APIRequest("GET", path, body_type, safe=True, query=query, beta=beta, options=options)


class CursorPage(Generic[T]):
    """One page of a list; iterate it to get every item of every page, fetching as needed."""

    def __init__(self, body: ListBody[T], *, client: BaseClient, request: APIRequest[Any]) -> None:
        self.data: list[T] = body.data
        self.has_more = body.has_more
        self.first_id = body.first_id or _item_id(body.data[0] if body.data else None)
        self.last_id = body.last_id or _item_id(body.data[-1] if body.data else None)
        self.object = body.object
        self.query = dict(request.query or {})
        self._client = client
        self._request = request

    @classmethod
    def fetch(cls, client: BaseClient, request: APIRequest[ListBody[T]]) -> CursorPage[T]:
        return cls(client.call(request), client=client, request=request)

    @property
    def backwards(self) -> bool:
        """True when this list was asked for with `before=` (so walking goes that way)."""
        return bool(self.query.get("before")) and not self.query.get("after")

    def has_next_page(self) -> bool:
        return self.has_more and bool(self.data)

    def _page(self, **cursor: str | None) -> CursorPage[T]:
        query = {key: value for key, value in self.query.items() if key not in ("after", "before")}
        query.update(cursor)
        return CursorPage.fetch(self._client, dataclasses.replace(self._request, query=query))

    def next_page(self) -> CursorPage[T]:
        """The page that follows in the direction of the original query."""
        if self.backwards:
            return self._page(before=self.first_id)
        return self._page(after=self.last_id)

    def previous_page(self) -> CursorPage[T]:
        """The page on the other side: the items just before this page's first one."""
        if self.backwards:
            return self._page(after=self.last_id)
        return self._page(before=self.first_id)

    def iter_pages(self) -> Iterator[CursorPage[T]]:
        page = self
        yield page
        while page.has_next_page():
            page = page.next_page()
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"<CursorPage {len(self.data)} items first_id={self.first_id!r} "
            f"last_id={self.last_id!r} has_more={self.has_more}>"
        )


def _item_id(item: Any) -> str | None:
    return getattr(item, "id", None)
