from __future__ import annotations

from typing import Unpack

from .._base import RequestOptions
from ..pagination import CursorPage, list_request
from ..types import Model
from ._resource import Resource


class Models(Resource):
    """`/models`: which model names a backend offers (for the assistant form's choices)."""

    def list(self, **options: Unpack[RequestOptions]) -> CursorPage[Model]:
        request = list_request("models", Model, {}, beta=False, options=options)
        return CursorPage.fetch(self._client, request)
