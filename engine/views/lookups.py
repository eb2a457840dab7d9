"""Objects by id as the caller may reach them (KeyScopedQuerySet.visible_to_key), or the API's
404 ("No assistant found with id 'asst_x'."): an object the caller may not reach is answered
exactly like an unknown id. Messages, runs and steps are reached through their thread."""

from __future__ import annotations

from typing import Any

from ..api import first, get_or_404, not_found
from ..files import lookups as file_lookups
from ..models import Assistant, Message, Principal, Run, RunStep, Thread


def assistant(key: Principal, assistant_id: str, *, write: bool = False) -> Assistant:
    """An assistant to read and run (or, with `write`, to change or delete)."""
    reachable = Assistant.objects.visible_to_key(key, write=write)
    return get_or_404(reachable, "assistant", assistant_id)


def thread(key: Principal, thread_id: str) -> Thread:
    return get_or_404(Thread.objects.visible_to_key(key), "thread", thread_id)


def message(parent: Thread, message_id: str) -> Message:
    return get_or_404(parent.messages.all(), "message", message_id)


def run(key: Principal, thread_id: str, run_id: str) -> Run:
    """The run of that thread, in one query; the 404 names the thread if it is the one missing
    (the thread is only looked up alone then)."""
    threads = Thread.objects.visible_to_key(key).filter(pk=thread_id)
    found = first(Run.objects.filter(pk=run_id, thread__in=threads))
    if found is None:
        thread(key, thread_id)
        raise not_found("run", run_id)
    found.expire_if_due()
    return found


def step(parent: Run, step_id: str) -> RunStep:
    return get_or_404(parent.steps.all(), "run step", step_id)


# -- what a request names: a run reads these, so the caller must be able to reach them ---------


def _ids(resources: dict[str, Any] | None, tool: str, field: str) -> list[str]:
    return list(((resources or {}).get(tool) or {}).get(field) or [])


def resources(
    key: Principal, given: dict[str, Any] | None, *, before: dict[str, Any] | None = None
) -> None:
    """A 404 for the first file or vector store in `given` tool_resources the caller may not
    use. Ids already there (`before`) stay: the dashboard edits any assistant as it is."""
    kept_files = set(_ids(before, "code_interpreter", "file_ids"))
    kept_stores = set(_ids(before, "file_search", "vector_store_ids"))
    added_files = [i for i in _ids(given, "code_interpreter", "file_ids") if i not in kept_files]
    added_stores = [
        i for i in _ids(given, "file_search", "vector_store_ids") if i not in kept_stores
    ]
    if added_files:  # (most requests name none: no query to build)
        file_lookups.files(key, added_files)
    if added_stores:
        file_lookups.vector_stores(key, added_stores)


def attachments(key: Principal, message_fields: dict[str, Any]) -> None:
    """A 404 for the first attached file the caller may not use."""
    if attached := [a["file_id"] for a in message_fields.get("attachments") or []]:
        file_lookups.files(key, attached)
