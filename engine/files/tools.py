"""file_search and code_interpreter inside runs: the executor's side of the engine's own tools.

The model sees both as function tools (engine.files.tooldefs). When it calls one, the executor
hands the call here instead of stopping the run for tool outputs: the call is executed, recorded
as a `tool_calls` run step of the API's type (`file_search` with its results,
`code_interpreter` with its input, logs and images), its output is added to the conversation,
and the model is asked again. When the answer is final, its citation markers become
`file_citation` annotations, its sandbox links `file_path` annotations, and the figures the code
drew become `image_file` parts of the message.

Which vector stores file_search reads: the assistant's and the thread's
`tool_resources.file_search.vector_store_ids`, plus a store the engine keeps per thread for
files attached to messages with the file_search tool (ingested on the spot when first needed).
Which files the code interpreter sees in /mnt/data: the assistant's and the thread's
`tool_resources.code_interpreter.file_ids` and files attached with the code_interpreter tool.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files import File as DjangoFile
from django.db import transaction
from django.utils import timezone

from engine.models import Assistant, Message, Principal, RunStep, Thread, call_id
from engine.providers.base import ChatMessage, ChatRequest, ProviderError, ToolCall, ToolCallDelta

from . import sandbox, search, tooldefs
from .ingest import ingest
from .models import File, VectorStore, VectorStoreFile
from .schemas import chunking_strategy

if TYPE_CHECKING:
    from engine.executor import Execution
    from engine.models import Run

logger = logging.getLogger(__name__)

MAX_ROUNDS = 8  # model turns with built-in tool calls in one run before it must answer
RANKER = "default_2024_08_21"


# ---------------------------------------------------------------------------------------------
# What the run can use


def _resources(owner: Assistant | Thread | None, tool: str) -> dict[str, Any]:
    return ((owner.tool_resources if owner else None) or {}).get(tool) or {}


def _tool(run: Run, kind: str) -> dict[str, Any] | None:
    return next((t for t in run.tools or [] if t.get("type") == kind), None)


def _attached(thread: Thread, tool: str) -> list[str]:
    file_ids: list[str] = []
    for attachments in thread.messages.values_list("attachments", flat=True):
        for attachment in attachments or []:
            if any(t.get("type") == tool for t in attachment.get("tools") or []):
                file_ids.append(attachment["file_id"])
    return list(dict.fromkeys(file_ids))


def _assistant(run: Run) -> Assistant | None:
    return Assistant.objects.filter(pk=run.assistant_id).first()


def store_ids(run: Run) -> list[str]:
    """The vector stores file_search reads for `run` (existing ones only)."""
    wanted: list[str] = []
    for owner in (_assistant(run), run.thread):
        wanted += _resources(owner, "file_search").get("vector_store_ids") or []
    wanted += list(VectorStore.objects.filter(thread_id=run.thread_id).values_list("pk", flat=True))
    existing = set(VectorStore.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    return [pk for pk in dict.fromkeys(wanted) if pk in existing]


def code_file_ids(run: Run) -> list[str]:
    wanted: list[str] = []
    for owner in (_assistant(run), run.thread):
        wanted += _resources(owner, "code_interpreter").get("file_ids") or []
    return list(dict.fromkeys(wanted + _attached(run.thread, "code_interpreter")))


def definitions(run: Run) -> list[dict[str, Any]]:
    """The function definitions the model sees for the run's built-in tools."""
    found = []
    if _tool(run, tooldefs.FILE_SEARCH):
        stores = store_ids(run)
        names = list(
            VectorStoreFile.objects.filter(vector_store_id__in=stores)
            .values_list("file__filename", flat=True)
            .distinct()
        )
        attached = _attached(run.thread, "file_search")
        names += list(File.objects.filter(pk__in=attached).values_list("filename", flat=True))
        found.append(tooldefs.file_search_definition(list(dict.fromkeys(names))))
    if _tool(run, tooldefs.CODE_INTERPRETER):
        names = list(
            File.objects.filter(pk__in=code_file_ids(run)).values_list("filename", flat=True)
        )
        try:
            workdir = sandbox.workdir_path()
        except sandbox.SandboxUnavailable:
            workdir = tooldefs.WORKDIR
        found.append(tooldefs.code_interpreter_definition(workdir, names))
    return found


def tool_choice(choice: Any, tools: list[dict[str, Any]]) -> Any:
    """A run's tool_choice naming a built-in tool, as a function choice the model understands
    ("auto" when the run does not have that tool)."""
    if isinstance(choice, dict) and choice.get("type") in tooldefs.NAMES:
        names = {(t.get("function") or {}).get("name") for t in tools}
        if choice["type"] not in names:
            return "auto"
        return {"type": "function", "function": {"name": choice["type"]}}
    return choice


def store_from_helper(helper: dict[str, Any], key: Principal, *, private: bool) -> str:
    """A vector store made from a `vector_stores` helper ({file_ids, chunking_strategy,
    metadata}) of tool_resources.file_search; its files are read in the background. A
    thread's helper store is `private` to the thread's maker, as the thread is."""
    store = VectorStore.objects.create(
        name="",
        metadata=helper.get("metadata") or {},
        thread_id="",
        created_by_key=key,
        private=private,
    )
    strategy = helper.get("chunking_strategy")
    static = None
    if isinstance(strategy, dict) and strategy.get("type") == "static":
        from .schemas import StaticChunking

        static = chunking_strategy(StaticChunking.model_validate(strategy))
    files = list(File.objects.filter(pk__in=helper.get("file_ids") or []))
    store.add_files(files, chunking_strategy=static)
    return store.pk


def create_helper_stores(
    tool_resources: dict[str, Any] | None, key: Principal, *, private: bool
) -> dict[str, Any] | None:
    """tool_resources with its `vector_stores` helpers turned into new stores, as the API does
    when an assistant or a thread is created with them (at most one store in all, else a 400);
    `key` made them (None: the dashboard) and must be able to reach their files."""
    from engine.api import ApiError

    from . import lookups

    search_resources = dict((tool_resources or {}).get("file_search") or {})
    helpers = search_resources.pop("vector_stores", None)
    if not helpers:
        return tool_resources
    given = search_resources.get("vector_store_ids") or []
    if len(given) + len(helpers) > 1:
        raise ApiError(
            400,
            "file_search can use at most 1 vector store: give vector_store_ids or "
            "vector_stores, not both.",
            param="tool_resources.file_search",
        )
    for helper in helpers:
        lookups.files(key, helper.get("file_ids") or [])  # a 404 names the first missing file
    search_resources["vector_store_ids"] = [
        store_from_helper(helper, key, private=private) for helper in helpers
    ]
    return {**tool_resources, "file_search": search_resources}


def thread_workdir(thread_id: str) -> Path:
    return Path(settings.ENGINE_SANDBOX_DIR) / "threads" / thread_id / "data"


def forget_thread(thread_id: str) -> None:
    """Remove a deleted thread's working folder and its attachment store."""
    shutil.rmtree(Path(settings.ENGINE_SANDBOX_DIR) / "threads" / thread_id, ignore_errors=True)
    VectorStore.objects.filter(thread_id=thread_id).delete()


# ---------------------------------------------------------------------------------------------
# Executing calls during a run


@dataclass
class _Pending:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class BuiltinTools:
    """Collects the model's built-in tool calls during one execution and runs them."""

    execution: Execution
    pending: dict[int, _Pending] = field(default_factory=dict)
    rounds: int = 0
    text_mark: int = 0
    search_calls: int = 0
    sandbox_bytes: int = 0  # what the run's code has written so far (its disk quota)
    usages: list[dict[str, int]] = field(default_factory=list)
    citations: dict[tuple[int, int], str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # "/mnt/data/x.csv" → file id
    images: list[str] = field(default_factory=list)

    @property
    def run(self) -> Run:
        return self.execution.run

    def claims(self, event: ToolCallDelta) -> bool:
        """True when `event` is a piece of a built-in tool call (kept here, not streamed as a
        function call)."""
        if event.index in self.pending:
            call = self.pending[event.index]
        elif event.name in tooldefs.NAMES:
            call = self.pending[event.index] = _Pending()
        else:
            return False
        call.id = event.id or call.id or call_id()
        call.name = event.name or call.name
        call.arguments += event.arguments
        return True

    def run_calls(self, request: ChatRequest) -> bool:
        """Execute the calls of the model turn that just ended; True to ask the model again."""
        calls = [c for _, c in sorted(self.pending.items())]
        self.pending = {}
        if not calls:
            return False
        self.rounds += 1
        if self.execution.usage is not None:
            self.usages.append(self.execution.usage)
            self.execution.usage = None
        said = self.execution.text[self.text_mark :]
        request.messages.append(
            ChatMessage(
                role="assistant",
                content=said or None,
                tool_calls=[ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in calls],
            )
        )
        step = self._open_step(calls)
        details = []
        for call in calls:
            if call.name == tooldefs.FILE_SEARCH:
                detail, output = self._file_search(call)
            else:
                detail, output = self._code_interpreter(call, step)
            details.append(detail)
            request.messages.append(ChatMessage(role="tool", content=output, tool_call_id=call.id))
        self._close_step(step, details)
        self.text_mark = len(self.execution.text)
        # User function calls in the same turn: the run stops for their outputs as usual.
        return not self.execution.calls and self.rounds < MAX_ROUNDS

    # -- steps ------------------------------------------------------------------------------

    def _open_step(self, calls: list[_Pending]) -> RunStep:
        shown = []
        for call in calls:
            if call.name == tooldefs.FILE_SEARCH:
                shown.append({"id": call.id, "type": "file_search", "file_search": {}})
            else:
                code = _argument(call.arguments, "code")
                shown.append(
                    {
                        "id": call.id,
                        "type": "code_interpreter",
                        "code_interpreter": {"input": code, "outputs": []},
                    }
                )
        with transaction.atomic():
            self.execution.renew()
            self.execution.write_message_text()
            step = self.execution.new_step(
                RunStep.TOOL_CALLS, {"type": "tool_calls", "tool_calls": shown}
            )
        self._wake()
        return step

    def _close_step(self, step: RunStep, details: list[dict[str, Any]]) -> None:
        with transaction.atomic():
            self.execution.renew()
            RunStep.objects.filter(pk=step.pk, status=RunStep.IN_PROGRESS).update(
                step_details={"type": "tool_calls", "tool_calls": details},
                status=RunStep.COMPLETED,
                completed_at=timezone.now(),
                usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            )
        self._wake()

    def _wake(self) -> None:
        from engine import wakeup

        wakeup.run_changed(self.run.pk)

    # -- file_search --------------------------------------------------------------------------

    def _file_search(self, call: _Pending) -> tuple[dict[str, Any], str]:
        query = _argument(call.arguments, "query")
        options = (_tool(self.run, tooldefs.FILE_SEARCH) or {}).get("file_search") or {}
        ranking = options.get("ranking_options") or {}
        threshold = float(ranking.get("score_threshold") or 0.0)
        hits = search.search(
            self._searchable_stores(),
            query,
            max_results=options.get("max_num_results") or settings.ENGINE_FILE_SEARCH_MAX_RESULTS,
            score_threshold=threshold,
        )
        number = self.search_calls
        self.search_calls += 1
        results = [hit.step_result() for hit in hits]
        for index, hit in enumerate(hits):
            self.citations[(number, index)] = hit.file_id
        detail = {
            "id": call.id,
            "type": "file_search",
            "file_search": {
                "ranking_options": {"ranker": RANKER, "score_threshold": threshold},
                "results": results,
            },
        }
        return detail, tooldefs.file_search_output(number, query, results)

    def _searchable_stores(self) -> list[str]:
        """The run's stores, fully read: files still waiting for the worker (and files
        attached to the thread's messages) are ingested on the spot, as the run would only
        wait for them anyway."""
        thread = self.run.thread
        attached = _attached(thread, "file_search")
        if attached:
            store = VectorStore.objects.filter(thread_id=thread.pk).first()
            if store is None:
                # Private to the thread's maker, and not named after the thread.
                store = VectorStore.objects.create(
                    name=VectorStore.ATTACHMENTS_NAME,
                    thread_id=thread.pk,
                    created_by_key_id=thread.created_by_key_id,
                    private=True,
                )
            known = set(store.files.values_list("file_id", flat=True))
            missing = [f for f in File.objects.filter(pk__in=attached) if f.pk not in known]
            store.add_files(missing, enqueue=False)
        stores = store_ids(self.run)
        waiting = VectorStoreFile.objects.filter(
            vector_store_id__in=stores, status=VectorStoreFile.IN_PROGRESS
        ).values_list("pk", "attempt")
        for entry_id, attempt in waiting:
            ingest(entry_id, attempt)  # fenced by attempt and status: a racing worker is harmless
        return stores

    # -- code_interpreter ---------------------------------------------------------------------

    def _code_interpreter(self, call: _Pending, step: RunStep) -> tuple[dict[str, Any], str]:
        code = _argument(call.arguments, "code")
        reason = sandbox.unavailable_reason()
        if reason:
            # The run fails with this as its last_error (and the step with it).
            raise ProviderError(reason, code="server_error")
        workdir = thread_workdir(self.run.thread_id)
        _place_inputs(workdir, code_file_ids(self.run))
        try:
            result = sandbox.run(
                code,
                workdir,
                budget=max(0, sandbox.run_quota() - self.sandbox_bytes),
                cancelled=lambda: not self.execution.fenced().exists(),
            )
        except sandbox.SandboxUnavailable as error:
            raise ProviderError(str(error), code="server_error") from None
        if result.cancelled:
            for image in result.images:
                image.unlink(missing_ok=True)
            self.execution.renew()  # raises Lost: the run ends cancelled, not waiting for code
        self.sandbox_bytes += result.written
        outputs: list[dict[str, Any]] = []
        drawn = 0
        if result.logs:
            outputs.append({"type": "logs", "logs": result.logs})
        for number, image in enumerate(result.images, start=1):
            made = _store_output(image, f"{call.id}-figure-{number}.png", self.run)
            image.unlink(missing_ok=True)
            if made is not None:
                drawn += 1
                self.images.append(made.pk)
                outputs.append({"type": "image", "image": {"file_id": made.pk}})
        written = []
        for path in result.files:
            relative = str(path.relative_to(workdir))
            made = _store_output(path, path.name, self.run)
            if made is not None:
                self.paths[f"{tooldefs.WORKDIR}/{relative}"] = made.pk
                written.append(relative)
        detail = {
            "id": call.id,
            "type": "code_interpreter",
            "code_interpreter": {"input": code, "outputs": outputs},
        }
        return detail, tooldefs.code_interpreter_output(result.logs, drawn, written)

    # -- the answer -----------------------------------------------------------------------------

    def finish(self) -> None:
        """Before the run settles: count every turn's usage, and annotate the answer."""
        if self.usages:
            total = [*self.usages, self.execution.segment_usage()]
            prompt = sum(u["prompt_tokens"] for u in total)
            completion = sum(u["completion_tokens"] for u in total)
            self.execution.usage = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        message = self.execution.message
        if message is None or not (self.citations or self.paths or self.images):
            return
        text = self.execution.text
        content: list[dict[str, Any]] = [
            {"type": "text", "text": {"value": text, "annotations": self.annotations(text)}}
        ]
        content += [{"type": "image_file", "image_file": {"file_id": i}} for i in self.images]
        with transaction.atomic():
            self.execution.renew()
            self.execution.write_message_text()
            Message.objects.filter(pk=message.pk).update(content=content)

    def annotations(self, text: str) -> list[dict[str, Any]]:
        found = []
        for match in tooldefs.CITATION.finditer(text):
            file_id = self.citations.get((int(match.group(1)), int(match.group(2))))
            if file_id:
                found.append(
                    {
                        "type": "file_citation",
                        "text": match.group(0),
                        "start_index": match.start(),
                        "end_index": match.end(),
                        "file_citation": {"file_id": file_id},
                    }
                )
        for match in tooldefs.SANDBOX_LINK.finditer(text):
            file_id = self.paths.get(match.group(1).rstrip(".,;:"))
            if file_id:
                end = match.start() + len("sandbox:") + len(match.group(1).rstrip(".,;:"))
                found.append(
                    {
                        "type": "file_path",
                        "text": text[match.start() : end],
                        "start_index": match.start(),
                        "end_index": end,
                        "file_path": {"file_id": file_id},
                    }
                )
        return sorted(found, key=lambda a: a["start_index"])


def _argument(arguments: str, name: str) -> str:
    """The named argument; a model that sent bare text instead of JSON meant that text."""
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return arguments
    if isinstance(parsed, dict):
        value = parsed.get(name, "")
        return value if isinstance(value, str) else json.dumps(value)
    return str(parsed)


def _place_inputs(workdir: Path, file_ids: list[str]) -> None:
    """Copy the run's input files into the working folder, under their own names (a name
    taken by another file gets the file's id added)."""
    workdir.mkdir(parents=True, exist_ok=True)
    manifest_path = workdir.parent / "inputs.json"
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    taken = set(manifest.values())
    for found in File.objects.filter(pk__in=file_ids):
        name = manifest.get(found.pk)
        if name is None:
            name = Path(found.filename).name or found.pk
            if name in taken:
                stem, suffix = Path(name).stem, Path(name).suffix
                name = f"{stem}-{found.pk}{suffix}"
            manifest[found.pk] = name
            taken.add(name)
        target = workdir / name
        if target.is_symlink():
            target.unlink()  # planted by earlier code: never write through it
        if not target.exists():
            # O_EXCL | O_NOFOLLOW: the file is made here, by us, and is nothing else.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            with (
                found.content.open("rb") as source,
                os.fdopen(os.open(target, flags, 0o644), "wb") as out,
            ):
                shutil.copyfileobj(source, out)
    manifest_path.write_text(json.dumps(manifest))


def _store_output(path: Path, filename: str, run: Run) -> File | None:
    """A file the code made, as an API file (purpose assistants_output) of whoever made the
    run's thread; None if too large."""
    size = path.stat().st_size
    if size > settings.ENGINE_FILE_MAX_BYTES:
        logger.warning("Not keeping %s: %d bytes is over ENGINE_FILE_MAX_BYTES", path, size)
        return None
    with open(path, "rb", opener=sandbox.open_no_follow) as handle:
        return File.store(
            filename=filename,
            purpose=File.OUTPUT,
            upload=DjangoFile(handle),
            created_by_key_id=run.thread.created_by_key_id,
        )
