"""The chat pane: one object that knows a thread's state and what the page shows of it.

`ChatPane` is built from the person, the thread record and a client; templates read it as
`chat` (the messages are `chat.rows`, so Django's own `messages` stays the flash messages).
`RunState` is one run as the pane shows it (what to say, whether to poll, the tool-call cards);
a view that follows a run by other means (a stream) builds one from the Run it holds with
`ChatPane.run_state(record, run=run)` and renders STATUS_FRAGMENT while it holds the thread,
PANE_FRAGMENT once it is over. A pane built with `streaming=True` belongs to the request that
streams the run (views/stream.py): it never asks the backend about the run, holds the composer,
and shows the live reply and its status (`live`, a RunState once the run exists) instead.

The run status is fetched at most once per DASHBOARD_RUN_STATUS_TTL per run, whoever is
watching: the first viewer to find the cached copy stale takes a short lock (cache.add is
atomic) and asks the backend; everyone else is served the last copy meanwhile, without
waiting. Only when no copy exists at all (the cache was emptied) does a viewer get the state
the dashboard recorded, and the next poll brings the fresh one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse

# Django's, not functools': on Python 3.11 that one locks per class, so every pane in the
# process would wait while one of them asks the backend (holding its database connection).
from django.utils.functional import cached_property

from . import audit
from .catalog import model_choices
from .chat_forms import ComposerForm, ThreadSharingForm
from .chat_sidebar import Sidebar
from .error_words import in_words
from .file_forms import AttachmentsForm
from .forms import ToolOutputsForm
from .message_files import attachments_form, decorate
from .message_rows import MessageRow, message_rows
from .models import Connection, RunRecord, ThreadMessageIndex, ThreadRecord
from .services import NOT_GIVEN, AssistantsClient, AssistantsError
from .services.types import Assistant, Run
from .usage import person_headers
from .waiting import note_run as note_waiting

FIRST_POLL_DELAY_MS = 200
MAX_POLL_DELAY_MS = 2000
_LOCK_SECONDS = 30  # longer than any backend call; released as soon as the call returns
_KEEP_SECONDS = 3600

PANE_FRAGMENT = "threads/detail.html#conversation"
STATUS_FRAGMENT = "threads/detail.html#run_status"
COMPOSER_REASON_ID = "composer-reason"


@dataclass(frozen=True)
class RunWords:
    says: str  # the status line, or why a finished run did not answer
    busy: str = ""  # why the composer waits, for the states in which the run holds the thread


RUN_STATES: dict[str, RunWords] = {
    "queued": RunWords(
        "Waiting to start", "The assistant is about to answer; you can write again when it has."
    ),
    "in_progress": RunWords(
        "Working on an answer",
        "The assistant is answering; you can write again when it has finished.",
    ),
    "requires_action": RunWords(
        "Waiting for your tool outputs", "The assistant is waiting for the tool outputs above."
    ),
    "cancelling": RunWords("Cancelling", "The run is being cancelled."),
    "cancelled": RunWords("The run was cancelled"),
    "completed": RunWords("Completed"),
    "failed": RunWords("The run failed"),
    "expired": RunWords("The run expired before the tool outputs arrived"),
    "incomplete": RunWords("The answer is incomplete"),
}
UNREACHABLE = "Could not reach the assistant service"


def run_words(status: str) -> RunWords:
    return RUN_STATES.get(status) or RunWords(status.replace("_", " ").capitalize())


def next_poll_delay(delay_ms: int) -> int:
    """Back off from FIRST_POLL_DELAY_MS, doubling, to at most MAX_POLL_DELAY_MS."""
    return max(FIRST_POLL_DELAY_MS, min(delay_ms * 2, MAX_POLL_DELAY_MS))


def _key(run_id: str) -> str:
    return f"dashboard:run:{run_id}"


def remember_run(record: RunRecord, run: Run) -> None:
    """Keep a run the backend just returned (create, cancel, submit) as the fresh copy."""
    cache.set(_key(run.id), {"at": time.time(), "run": run.model_dump(mode="json")}, _KEEP_SECONDS)
    note_waiting(record, run)  # before note_status: it compares with the status seen last
    record.note_status(run.status, run_error(run))


def current_run(record: RunRecord, client: AssistantsClient) -> Run | None:
    """The run as last reported by the backend, asking it at most once per TTL for everyone.

    None when another viewer is asking the backend right now and no copy is known yet: the
    caller shows the recorded status and asks again at its next poll. Never waits."""
    key, ttl = _key(record.run_id), settings.DASHBOARD_RUN_STATUS_TTL
    cached = cache.get(key)
    if cached and time.time() - cached["at"] < ttl:
        return Run.model_validate(cached["run"])
    if not cache.add(f"{key}:lock", 1, _LOCK_SECONDS):
        # Someone else is asking the backend: the last copy, however old, rather than a
        # second call.
        return Run.model_validate(cached["run"]) if cached else None
    try:
        run = client.threads.runs.retrieve(record.run_id, thread_id=record.thread.thread_id)
    finally:
        cache.delete(f"{key}:lock")
    remember_run(record, run)
    return run


def run_error(run: Run) -> str:
    """The API's own words for why a run did not complete."""
    if run.last_error and run.last_error.message:
        return run.last_error.message
    if run.status == "incomplete" and run.incomplete_details and run.incomplete_details.reason:
        return f"stopped early ({run.incomplete_details.reason.replace('_', ' ')})"
    return ""


def elapsed_seconds(run: Run) -> int:
    start = run.started_at or run.created_at
    end = run.completed_at or run.failed_at or run.cancelled_at or time.time()
    return max(0, int(end - start)) if start else 0


def expires_in_words(run: Run) -> str:
    if not run.expires_at:
        return ""
    left = int(run.expires_at - time.time())
    if left <= 0:
        return "This run has expired"
    return f"{left // 60} min {left % 60} s left before this run expires"


def start_thread(
    user,
    connection: Connection,
    client: AssistantsClient,
    assistant: Assistant,
    *,
    trial: bool = False,
) -> ThreadRecord:
    """A new, empty thread with `assistant` on the backend, and its record (`trial`: a test
    chat of the builder, left out of the lists until kept)."""
    metadata = {"created_by": user.get_username()}
    if trial:
        metadata["test_chat"] = "true"
    created = client.threads.create(metadata=metadata)
    return ThreadRecord.objects.create(
        connection=connection,
        thread_id=created.id,
        owner=user,
        assistant_id=assistant.id,
        assistant_name=assistant.name or "",
        trial=trial,
    )


def start_run(
    thread: ThreadRecord, client: AssistantsClient, user, options: dict
) -> tuple[RunRecord, Run]:
    """Create a run on the thread and record who started it."""
    run = client.threads.runs.create(
        thread.thread_id,
        assistant_id=thread.assistant_id,
        extra_headers=person_headers(thread.connection, user),  # whose token budget
        **options,
    )
    return record_run(thread, user, run, options), run


def record_run(thread: ThreadRecord, user, run: Run, options: dict) -> RunRecord:
    """Record who started `run`, which the backend has just created (or begun streaming)."""
    record = RunRecord.objects.create(
        thread=thread,
        run_id=run.id,
        assistant_id=thread.assistant_id,
        started_by=user,
        status=run.status,
        options=options,
    )
    audit.run_started(record, user)
    remember_run(record, run)
    return record


@dataclass
class RunState:
    """One run as the pane shows it: what it says, whether it polls, the tool-call cards."""

    record: RunRecord
    can_chat: bool
    run: Run | None = None  # None: not known yet, or the backend could not be reached
    note: str = ""  # why the backend could not be reached, in words
    delay: int = FIRST_POLL_DELAY_MS
    tool_form: ToolOutputsForm | None = None  # the cards, for someone who can answer them
    tool_error: str = ""  # why the outputs were not submitted
    cancel_error: str = ""  # why the run could not be cancelled
    answered: Any = None  # someone else's answer won the race (waiting.Turn): say whose

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def status(self) -> str:
        return self.run.status if self.run else self.record.status

    @property
    def holds_thread(self) -> bool:
        """Still working or waiting: the thread takes no new message (as the dashboard knows)."""
        return self.record.is_active

    @property
    def words(self) -> str:
        return UNREACHABLE if self.note else run_words(self.status).says

    @property
    def busy_reason(self) -> str:
        return run_words(self.status).busy

    @property
    def elapsed(self) -> int:
        return elapsed_seconds(self.run) if self.run else 0

    @property
    def polling(self) -> bool:
        # Someone who can answer the tool calls gets the cards instead (polling would wipe
        # what they type); anyone else keeps watching. Unknown or unreachable: ask again.
        if self.run is None:
            return True
        answers = self.run.status == "requires_action" and self.can_chat and not self.answered
        return not self.run.is_terminal and not answers

    @property
    def next_delay(self) -> int:
        return next_poll_delay(self.delay)

    @property
    def expires_in(self) -> str:
        return expires_in_words(self.run) if self.run else ""


@dataclass
class ChatPane:
    """A thread's chat pane as one person sees it: messages, the run in progress, the composer.

    Each part is fetched when first read, so a view (or a template) that needs only one part
    asks the backend only for it."""

    user: Any
    thread: ThreadRecord
    client: AssistantsClient
    earlier_than: str = ""  # a cursor: this page shows the messages before it
    draft: str = ""  # what the composer held when the page was asked for
    sent: ComposerForm | None = None  # a posted composer that did not go through
    attach: AttachmentsForm | None = None  # its attachments
    send_error: str = ""  # why the message was not sent
    start_error: str = ""  # the message was sent, but its run could not start: why
    streaming: bool = False  # this request follows the run as a stream (see the docstring)
    live: RunState | None = None  # the streamed run, once it exists
    action_error: str = ""  # why a regenerate or an edit was refused
    search: str = ""  # what the sidebar is searching for
    is_draft = False

    @classmethod
    def of(
        cls, request: HttpRequest, thread: ThreadRecord, client: AssistantsClient, **kwargs: Any
    ) -> ChatPane:
        """The pane for the person asking; a draft the page kept while the thread was busy
        comes back into the composer."""
        kwargs.setdefault("draft", request.GET.get("draft", ""))
        kwargs.setdefault("search", request.GET.get("q", "").strip())
        return cls(request.user, thread, client, **kwargs)

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"nav": "threads", "thread": self.thread, "chat": self, **extra}

    @cached_property
    def can_chat(self) -> bool:
        return self.thread.can_chat(self.user)

    def run_state(
        self, record: RunRecord, *, run: Run | None = None, delay: int = FIRST_POLL_DELAY_MS
    ) -> RunState:
        """The state of one of the thread's runs; `run` when the caller has it fresh."""
        state = RunState(record, self.can_chat, delay=delay)
        try:
            state.run = run or current_run(record, self.client)
        except AssistantsError as error:
            state.note = in_words(error)  # keep polling (slowly) in case it comes back
            return state
        if state.run is not None and state.run.status == "requires_action" and self.can_chat:
            calls = [call.model_dump(mode="json") for call in state.run.required_tool_calls]
            state.tool_form = ToolOutputsForm(calls)
        return state

    @cached_property
    def latest_run(self) -> RunRecord | None:
        return self.thread.runs.first()

    @property
    def last_options(self) -> dict:
        """The latest run's options (model and other overrides): a new run starts with them."""
        return (self.latest_run.options or {}) if self.latest_run else {}

    @cached_property
    def run(self) -> RunState | None:
        """The latest run while it holds the thread (the backend asked how it is doing)."""
        record = self.latest_run
        if self.streaming or record is None or not record.is_active:
            return None
        state = self.run_state(record)
        return state if state.holds_thread else None  # still, after asking the backend

    @property
    def busy(self) -> bool:
        return self.streaming or self.run is not None

    @property
    def busy_reason(self) -> str:
        if self.streaming:
            return self.live.busy_reason if self.live else run_words("in_progress").busy
        return self.run.busy_reason if self.run else ""

    @property
    def finished_run(self) -> RunRecord | None:
        """The latest run when it is over (told in words unless it completed)."""
        return None if self.run or self.streaming else self.latest_run

    @property
    def stopped_run_id(self) -> str:
        """The latest run, when someone stopped it: its partial answer is marked so."""
        run = self.finished_run
        return run.run_id if run and run.status == "cancelled" else ""

    @property
    def finished_words(self) -> str:
        return run_words(self.finished_run.status).says if self.finished_run else ""

    @cached_property
    def _page(self) -> tuple[list[MessageRow], str | None, str]:
        if not self.earlier_than:
            # The run first: if it has just finished, its answer is in the page read next.
            _ = self.run
        try:
            page = self.client.threads.messages.list(
                self.thread.thread_id,
                order="desc",
                limit=settings.DASHBOARD_MESSAGES_PAGE,
                after=self.earlier_than or NOT_GIVEN,
            )
        except AssistantsError as error:
            return [], None, in_words(error)
        rows = message_rows(page.data)
        decorate(rows, page.data, self.thread, self.client)  # citations, images, code steps
        ThreadMessageIndex.note(self.thread, rows)  # what was shown can be searched for
        for row in rows:
            row.mine = row.role == "user" and self.sent_by_me(row.author)
        return rows, (page.last_id if page.has_more else None), ""

    @property
    def rows(self) -> list[MessageRow]:
        """One page of messages, oldest first."""
        return self._page[0]

    @property
    def earlier_cursor(self) -> str | None:
        return self._page[1]

    @property
    def messages_error(self) -> str:
        return self._page[2]

    @property
    def showing_earlier(self) -> bool:
        return bool(self.earlier_than)

    @property
    def unanswered(self) -> bool:
        """The last message is the person's, and no run is answering it."""
        rows = self.rows
        if self.run or self.streaming or self.earlier_than:
            return False
        return bool(rows and rows[-1].role == "user")

    @cached_property
    def sidebar(self) -> Sidebar:
        thread = self.thread
        return Sidebar(self.user, self.search, current=thread.pk, assistant_id=thread.assistant_id)

    def sent_by_me(self, author: str) -> bool:
        # Messages sent before authors were recorded are the owner's.
        if author:
            return author == self.user.get_username()
        return self.thread.owner_id == self.user.pk

    @property
    def can_regenerate(self) -> bool:
        """The last answer can be written again: someone who may chat, nothing running, and
        the latest page ends with an answer."""
        rows = self.rows
        if not self.can_chat or self.busy or self.earlier_than:
            return False
        return bool(rows and rows[-1].role == "assistant")

    @property
    def can_edit(self) -> bool:
        return self.can_chat and not self.busy

    @property
    def send_url(self) -> str:
        return reverse("thread_send", args=[self.thread.pk])

    @cached_property
    def composer(self) -> ComposerForm:
        model = self.last_options.get("model", "")
        form = self.sent or ComposerForm(initial={"content": self.draft, "model": model})
        form.offer_models(lambda: self.model_choices, lambda: self.assistant_model)
        if self.busy:
            form.hold(COMPOSER_REASON_ID)
        return form

    @cached_property
    def assistant_model(self) -> str:
        assistant = cached_assistant(self.thread.connection, self.client, self.thread.assistant_id)
        return assistant.model if assistant else ""

    @cached_property
    def attach_form(self) -> AttachmentsForm:
        return self.attach or attachments_form(self.thread)

    @cached_property
    def sharing_form(self) -> ThreadSharingForm:
        return ThreadSharingForm(initial={"sharing": self.thread.sharing})

    @cached_property
    def model_choices(self) -> list[tuple[str, str]]:
        return offered_models(self.thread.connection, self.client)

    @property
    def assistant_url(self) -> str:
        return reverse("assistant_edit", args=[self.thread.assistant_id])


def offered_models(connection: Connection, client: AssistantsClient) -> list[tuple[str, str]]:
    """The composer's model picker: the connection's models, or none when they cannot be
    listed (only suggestions: the field takes any name)."""
    try:
        return model_choices(connection, client)
    except AssistantsError:
        return []


def cached_assistant(
    connection: Connection, client: AssistantsClient, assistant_id: str
) -> Assistant | None:
    """The thread's assistant (for its model), kept a minute; None if it cannot be read."""
    key = f"dashboard:assistant:{connection.pk}:{assistant_id}"
    data = cache.get(key)
    if data is None:
        try:
            data = client.assistants.retrieve(assistant_id).model_dump(mode="json")
        except AssistantsError:
            return None
        cache.set(key, data, 60)
    return Assistant.model_validate(data)


@dataclass
class DraftChat:
    """A new chat before its first message: the composer, with nothing stored anywhere until
    the message is sent (then thread_create makes the thread and its record). Templates read
    it as `chat`, like ChatPane."""

    user: Any
    connection: Connection
    client: AssistantsClient
    assistant: Assistant
    sent: ComposerForm | None = None
    attach: AttachmentsForm | None = None
    send_error: str = ""
    search: str = ""

    is_draft = True
    can_chat = True
    busy = False
    busy_reason = ""
    streaming = False
    rows: tuple = ()

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"nav": "threads", "thread": None, "chat": self, **extra}

    @property
    def assistant_model(self) -> str:
        return self.assistant.model

    @property
    def assistant_name(self) -> str:
        return self.assistant.name or self.assistant.id

    @property
    def send_url(self) -> str:
        return reverse("thread_create")

    @cached_property
    def model_choices(self) -> list[tuple[str, str]]:
        return offered_models(self.connection, self.client)

    @cached_property
    def composer(self) -> ComposerForm:
        form = self.sent or ComposerForm()
        form.offer_models(lambda: self.model_choices, lambda: self.assistant_model)
        return form

    @cached_property
    def attach_form(self) -> AttachmentsForm:
        return self.attach or AttachmentsForm(allowed=lambda ids: set())  # no uploads yet

    @cached_property
    def sidebar(self) -> Sidebar:
        return Sidebar(self.user, self.search, assistant_id=self.assistant.id)
