"""Two engine keys (A and B) and the dashboard's own key, each as an official openai SDK client
on the live engine; and the check that an object out of reach answers like an unknown id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import openai
import pytest


@dataclass
class Principals:
    a: openai.OpenAI
    b: openai.OpenAI
    dashboard: openai.OpenAI
    key_b: Any  # engine.models.EngineKey

    def allow_b(self, access: str) -> None:
        """What an administrator sets on the Engine keys page (tested in tests/team)."""
        self.key_b.team_access = access
        self.key_b.save(update_fields=["team_access"])


@contextmanager
def principals(engine_url: str) -> Iterator[Principals]:
    from engine.auth import dashboard_key
    from engine.models import EngineKey

    _, raw_a = EngineKey.issue("A")
    key_b, raw_b = EngineKey.issue("B")
    with ExitStack() as stack:

        def client(raw: str) -> openai.OpenAI:
            made = openai.OpenAI(base_url=engine_url, api_key=raw, max_retries=0, timeout=30)
            return stack.enter_context(made)

        yield Principals(client(raw_a), client(raw_b), client(dashboard_key()), key_b)


def unknown(kind: str, object_id: str, call: Callable[[], Any]) -> None:
    """`call` is answered exactly as for an id that does not exist: the API's 404."""
    with pytest.raises(openai.NotFoundError) as error:
        call()
    assert error.value.body["message"] == f"No {kind} found with id '{object_id}'."


def ids(page: Any) -> list[str]:
    """Every id of a list, following `after` through all its pages."""
    return [item.id for item in page]
