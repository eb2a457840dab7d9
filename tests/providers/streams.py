"""Reassembling a provider's event stream, as the engine's run executor does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.providers.base import Finish, ProviderEvent, TextDelta, ToolCallDelta, Usage


@dataclass
class Assembled:
    events: list[ProviderEvent]
    text: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)  # {"id", "name", "arguments"}
    usage: Usage | None = None
    finish: str | None = None


def assemble(events: Iterable[ProviderEvent]) -> Assembled:
    result = Assembled(events=list(events))
    calls: dict[int, dict[str, Any]] = {}
    for event in result.events:
        if isinstance(event, TextDelta):
            result.text += event.text
        elif isinstance(event, ToolCallDelta):
            call = calls.setdefault(event.index, {"id": None, "name": None, "arguments": ""})
            call["id"] = call["id"] or event.id
            call["name"] = call["name"] or event.name
            call["arguments"] += event.arguments
        elif isinstance(event, Usage):
            result.usage = event
        elif isinstance(event, Finish):
            result.finish = event.reason
    result.calls = [calls[index] for index in sorted(calls)]
    # Every stream ends with exactly one Usage and then one Finish.
    assert isinstance(result.events[-1], Finish)
    assert isinstance(result.events[-2], Usage)
    assert sum(isinstance(e, Finish | Usage) for e in result.events) == 2
    return result
