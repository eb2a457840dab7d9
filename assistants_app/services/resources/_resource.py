from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._client import AssistantsClient


class Resource:
    def __init__(self, client: AssistantsClient) -> None:
        self._client = client
