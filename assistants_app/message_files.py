"""The files side of the chat pane: citations as readable file names linking to the file,
attachments, images the code interpreter drew, and its steps (code, logs, images) inline.

Every file a shown thread refers to is noted (ThreadFile), so whoever may open the thread may
download it through the thread's own download view, and nobody else.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape

from .file_forms import AttachmentsForm
from .files import file_names, note_outputs
from .message_rows import MessageRow
from .models import RunRecord, ThreadFile, ThreadRecord
from .rendering import render_markdown
from .services import AssistantsClient, AssistantsError
from .services.types import (
    CodeInterpreterLogs,
    CodeInterpreterOutputImage,
    CodeInterpreterToolCall,
    FileCitationAnnotation,
    FilePathAnnotation,
    FileSearchToolCall,
    ImageFileContentBlock,
    Message,
    RunStep,
    TextContentBlock,
    ToolCallsStepDetails,
)

STEPS_KEEP_SECONDS = 3600  # a finished run's steps never change
# 【0:0†warranty.txt】: the API's citation marker; the file's name follows the dagger.
_MARKER_NAME = re.compile(r"†([^】]+)】?$")


@dataclass
class MessageFiles:
    """What a message shows besides its text (see templates/files/chat.html)."""

    body_html: str = ""  # the text with citation and file links, sanitised; "" = plain Markdown
    sources: list[dict[str, str]] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # code interpreter, search

    def __bool__(self) -> bool:
        return bool(
            self.body_html or self.sources or self.images or self.attachments or self.tool_calls
        )


def file_url(thread: ThreadRecord, file_id: str) -> str:
    return reverse("thread_file", args=[thread.pk, file_id])


def decorate(
    rows: list[MessageRow], messages: list[Message], thread: ThreadRecord, client: AssistantsClient
) -> None:
    """Fill `row.files` for the rows whose message has annotations, images, attachments or
    whose run used the code interpreter or file search; note the files they refer to."""
    by_id = {m.id: m for m in messages}
    refs: dict[str, str] = {}
    outputs: dict[str, str] = {}
    attached = [
        a.file_id for m in messages for a in (m.attachments or []) if a.file_id
    ]  # names of uploads are known locally; others are asked once
    names = file_names(client, thread.connection, attached) if attached else {}
    first_of_run: set[str] = set()
    seen_runs: set[str] = set()
    for row in rows:
        if row.run_id and row.run_id not in seen_runs:
            seen_runs.add(row.run_id)
            first_of_run.add(row.id)
    # What is known of the runs' steps locally, in one query and one cache read for the page.
    run_ids = {row.run_id for row in rows if row.id in first_of_run and row.role == "assistant"}
    finished = set(
        RunRecord.objects.filter(
            thread=thread, run_id__in=run_ids, status__in=RunRecord.TERMINAL_STATUSES
        ).values_list("run_id", flat=True)
    )
    cached = cache.get_many([_steps_key(run_id) for run_id in run_ids])
    for row in rows:
        message = by_id.get(row.id)
        if message is None:
            continue
        files = message_files(message, thread, names)
        for item in files.attachments:
            refs[item["file_id"]] = item["name"]
        for item in files.sources:
            refs[item["file_id"]] = item["name"]
        for item in files.images:
            outputs[item["file_id"]] = item["name"]
        for item in _path_links(message):
            outputs[item[0]] = item[1]
        if row.id in first_of_run and row.role == "assistant":
            files.tool_calls = run_tool_calls(
                thread,
                row.run_id,
                client,
                cached=cached.get(_steps_key(row.run_id)),
                finished=row.run_id in finished,
            )
            _collect(files.tool_calls, refs, outputs)
        if files:
            row.files = files
    # A figure the answer carries is shown there; the step shows only figures it lacks.
    in_messages = {i["file_id"] for r in rows if r.files for i in r.files.images}
    for row in rows:
        for call in row.files.tool_calls if row.files else []:
            if call.get("images"):
                call["images"] = [i for i in call["images"] if i["file_id"] not in in_messages]
    refs.update(outputs)
    ThreadFile.note(thread, refs)
    if outputs:
        note_outputs(thread, outputs)


def message_files(message: Message, thread: ThreadRecord, names: dict[str, str]) -> MessageFiles:
    files = MessageFiles()
    for attachment in message.attachments or []:
        if attachment.file_id:
            files.attachments.append(
                {
                    "file_id": attachment.file_id,
                    "name": names.get(attachment.file_id, attachment.file_id),
                    "url": file_url(thread, attachment.file_id),
                    "tools": [_tool_words(t.type) for t in attachment.tools],
                }
            )
    for part in message.content:
        if isinstance(part, ImageFileContentBlock):
            file_id = part.image_file.file_id
            files.images.append(
                {"file_id": file_id, "name": f"{file_id}.png", "url": file_url(thread, file_id)}
            )
    texts = [p for p in message.content if isinstance(p, TextContentBlock)]
    if any(p.text.annotations for p in texts):
        html, sources = [], {}
        for part in texts:
            body, cited = annotated_html(part.text.value, part.text.annotations, thread)
            html.append(body)
            for source in cited:
                sources.setdefault(source["file_id"], source)
        files.body_html = "\n".join(html)
        files.sources = list(sources.values())
    return files


def annotated_html(
    text: str, annotations: list[Any], thread: ThreadRecord
) -> tuple[str, list[dict[str, str]]]:
    """Markdown `text` as sanitised HTML with each annotation's span made a link to its file.

    Spans are swapped for random tokens before rendering (so Markdown and the sanitiser never
    see them) and the tokens for escaped links afterwards: nothing from the model reaches the
    page unsanitised, and a token inside a Markdown link's address becomes just the address.
    """
    nonce = secrets.token_hex(6)
    pieces, links, sources = [], {}, []
    position = 0
    for number, annotation in enumerate(_placed(text, annotations)):
        start, end = annotation.start_index, annotation.end_index
        token = f"zz{nonce}x{number}zz"
        pieces += [text[position:start], token]
        position = end
        file_id, name, quote = _annotation_file(annotation)
        url = file_url(thread, file_id)
        links[token] = (url, name)
        if isinstance(annotation, FileCitationAnnotation):
            sources.append({"file_id": file_id, "name": name, "url": url, "quote": quote})
    pieces.append(text[position:])
    html = render_markdown("".join(pieces))
    for token, (url, name) in links.items():
        html = html.replace(f'href="{token}"', f'href="{escape(url)}"')
        link = f'<a class="file-link" href="{escape(url)}">{escape(name)}</a>'
        html = html.replace(token, link)
    return html, sources


def _placed(text: str, annotations: list[Any]) -> list[Any]:
    """File annotations whose span is where they say, in order, without overlaps."""
    placed, end = [], 0
    kinds = (FileCitationAnnotation, FilePathAnnotation)
    for annotation in sorted(
        (a for a in annotations if isinstance(a, kinds)), key=lambda a: a.start_index
    ):
        start, stop = annotation.start_index, annotation.end_index
        if start < end or not 0 <= start < stop <= len(text):
            continue
        if annotation.text and text[start:stop] != annotation.text:
            continue  # indices that do not match the text: leave the text as it is
        placed.append(annotation)
        end = stop
    return placed


def _annotation_file(annotation: Any) -> tuple[str, str, str]:
    """(file id, readable name, quote) of a file_citation or file_path annotation."""
    if isinstance(annotation, FileCitationAnnotation):
        file_id = annotation.file_citation.file_id
        match = _MARKER_NAME.search(annotation.text or "")
        name = match.group(1).strip() if match else ""
        return file_id, name or file_id, annotation.file_citation.quote or ""
    file_id = annotation.file_path.file_id
    name = (annotation.text or "").rsplit("/", 1)[-1]
    return file_id, name or file_id, ""


def _path_links(message: Message) -> list[tuple[str, str]]:
    found = []
    for part in message.content:
        if isinstance(part, TextContentBlock):
            for annotation in part.text.annotations:
                if isinstance(annotation, FilePathAnnotation) and annotation.file_path.file_id:
                    found.append(_annotation_file(annotation)[:2])
    return found


def _tool_words(kind: str) -> str:
    return {"code_interpreter": "code interpreter", "file_search": "file search"}.get(kind, kind)


# --- Run steps: code interpreter and file search calls -----------------------------------------


def run_tool_calls(
    thread: ThreadRecord, run_id: str, client: AssistantsClient, **known: Any
) -> list[dict[str, Any]]:
    """The run's code interpreter and file search calls, for the chat pane."""
    calls = []
    for step in run_steps(thread, run_id, client, **known):
        if isinstance(step.step_details, ToolCallsStepDetails):
            views = (tool_call_view(call, thread) for call in step.step_details.tool_calls)
            calls += [view for view in views if view is not None]
    return calls


def _steps_key(run_id: str) -> str:
    return f"dashboard:steps:{run_id}"


def run_steps(
    thread: ThreadRecord,
    run_id: str,
    client: AssistantsClient,
    *,
    cached: list[dict] | None = None,
    finished: bool | None = None,
) -> list[RunStep]:
    """A run's steps, oldest first; kept in the cache once the run is over (they no longer
    change), so a thread page asks for each finished run's steps once. A caller that already
    read the cache entry or the run's status passes them in."""
    key = _steps_key(run_id)
    if cached is None:
        cached = cache.get(key)
    if cached is not None:
        return [RunStep.model_validate(step) for step in cached]
    try:
        steps = client.threads.runs.steps.list(
            run_id, thread_id=thread.thread_id, order="asc", limit=100
        ).data
    except AssistantsError:
        return []  # the text is still shown; the steps are a bonus
    if finished is None:
        finished = RunRecord.objects.filter(
            thread=thread, run_id=run_id, status__in=RunRecord.TERMINAL_STATUSES
        ).exists()
    if finished:
        cache.set(key, [s.model_dump(mode="json") for s in steps], STEPS_KEEP_SECONDS)
    return steps


def tool_call_view(call: Any, thread: ThreadRecord) -> dict[str, Any] | None:
    """A code interpreter or file search call as the chat and the steps inspector show it."""
    if isinstance(call, CodeInterpreterToolCall):
        logs, images = [], []
        for output in call.code_interpreter.outputs:
            if isinstance(output, CodeInterpreterLogs) and output.logs:
                logs.append(output.logs)
            elif isinstance(output, CodeInterpreterOutputImage) and output.image.file_id:
                file_id = output.image.file_id
                images.append(
                    {"file_id": file_id, "name": f"{file_id}.png", "url": file_url(thread, file_id)}
                )
        return {
            "kind": "code_interpreter",
            "code": call.code_interpreter.input,
            "logs": "\n".join(logs),
            "images": images,
        }
    if isinstance(call, FileSearchToolCall):
        results = [
            {
                "name": result.file_name or result.file_id,
                "score": result.score,
                "url": file_url(thread, result.file_id),
                "file_id": result.file_id,
            }
            for result in call.file_search.results or []
        ]
        return {"kind": "file_search", "results": results}
    return None


def note_step_files(thread: ThreadRecord, views: list[dict[str, Any]]) -> None:
    """Files shown in the run-steps inspector (search results, images) become readable through
    the thread."""
    refs: dict[str, str] = {}
    outputs: dict[str, str] = {}
    _collect(views, refs, outputs)
    ThreadFile.note(thread, {**refs, **outputs})
    if outputs:
        note_outputs(thread, outputs)


def _collect(views: list[dict[str, Any]], refs: dict[str, str], outputs: dict[str, str]) -> None:
    for view in views:
        for result in view.get("results", []):
            refs[result["file_id"]] = result["name"]
        for image in view.get("images", []):
            outputs[image["file_id"]] = image["name"]


def attachments_form(thread: ThreadRecord, data=None, files=None) -> AttachmentsForm:
    """The composer's attachments; ids posted back must be this thread's own uploads."""

    def allowed(ids: list[str]) -> set[str]:
        owned = thread.files.filter(file_id__in=ids).values_list("file_id", flat=True)
        return set(owned)

    return AttachmentsForm(data, files, allowed=allowed)
