"""The assistants list: pages from the API's cursors, search by name, badges, who changed what."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from .demo_notice import DEMO_OWNER, model_owners
from .models import AssistantRecord, Connection
from .services import NOT_GIVEN, AssistantsClient
from .services.types import Assistant, CodeInterpreterTool, FileSearchTool, FunctionTool

PAGE_SIZE = 20
# The API cannot search: a name search reads pages of 100 until it has a page of matches,
# and stops after this many pages (the "Search further" link continues from there).
SEARCH_SCAN_PAGES = 10


@dataclass
class Badge:
    label: str
    function: bool = False


@dataclass
class AssistantRow:
    assistant: Assistant
    record: AssistantRecord | None
    badges: list[Badge] = field(default_factory=list)

    @property
    def created(self) -> datetime | None:
        created_at = self.assistant.created_at
        return datetime.fromtimestamp(created_at, tz=UTC) if created_at else None


def badges(assistant: Assistant) -> list[Badge]:
    found = []
    for tool in assistant.tools:
        if isinstance(tool, CodeInterpreterTool):
            found.append(Badge("Code interpreter"))
        elif isinstance(tool, FileSearchTool):
            found.append(Badge("File search"))
        elif isinstance(tool, FunctionTool):
            found.append(Badge(f"ƒ {tool.function.name}", function=True))
        else:
            found.append(Badge(getattr(tool, "type", "tool")))
    return found


def find_assistants(
    client: AssistantsClient, *, query: str = "", after: str = ""
) -> tuple[list[Assistant], str | None]:
    """One page of assistants (newest first) and the cursor of the next page, if any."""
    cursor = after or NOT_GIVEN
    if not query:
        page = client.assistants.list(limit=PAGE_SIZE, order="desc", after=cursor)
        return page.data, (page.last_id if page.has_more else None)
    needle, matches = query.casefold(), []
    for _ in range(SEARCH_SCAN_PAGES):
        page = client.assistants.list(limit=100, order="desc", after=cursor)
        for index, assistant in enumerate(page.data):
            if needle in (assistant.name or "").casefold():
                matches.append(assistant)
                if len(matches) == PAGE_SIZE:
                    more = page.has_more or index < len(page.data) - 1
                    return matches, (assistant.id if more else None)
        if not page.has_more or not page.data:
            return matches, None
        cursor = page.last_id
    return matches, cursor


def assistant_rows(connection: Connection, assistants: list[Assistant]) -> list[AssistantRow]:
    records = AssistantRecord.objects.for_ids(connection, [a.id for a in assistants])
    return [AssistantRow(a, records.get(a.id), badges(a)) for a in assistants]


def model_choices(connection: Connection, client: AssistantsClient) -> list[tuple[str, str]]:
    """(id, label) of the models the connection offers (its /models), for the pickers.

    On the built-in engine a model's owned_by is the provider that serves it, so the label
    says "id — provider" (the offline demo keeps its bare name). The listing is the one the
    demo notice reads, kept a minute (demo_notice.model_owners).
    """
    owners = model_owners(connection, client)
    return [(model, _model_label(connection, model, owners[model])) for model in sorted(owners)]


def _model_label(connection: Connection, model: str, owner: str | None) -> str:
    if not connection.is_builtin or not owner or owner == DEMO_OWNER:
        return model
    return f"{model} — {owner}"
