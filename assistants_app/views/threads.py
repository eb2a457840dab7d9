"""Threads: "My threads", new chat, the chat pane, sending a message, rename, delete.

A thread is private to its creator until they share it with the team (read-only or "can
chat", views/sharing.py): every view finds it through ThreadRecord.objects.visible_to(user)
(chattable_by for writing, owned_by for rename and delete), so anyone else gets a 404.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..catalog import model_choices
from ..chat import (
    FIRST_POLL_DELAY_MS,
    current_run,
    elapsed_seconds,
    expires_in_words,
    message_rows,
    next_poll_delay,
    start_run,
    status_words,
)
from ..file_forms import AttachmentsForm
from ..files import delete_thread_files
from ..forms import MessageForm, NewThreadForm, RenameThreadForm, ToolOutputsForm
from ..message_files import attachments_form, decorate
from ..models import Connection, RunRecord, ThreadRecord
from ..services import NOT_GIVEN, AssistantsClient, AssistantsError, NotFoundError
from ..services.types import Run
from . import backend, fragment, in_words, saying_errors

BUSY_REASONS = {
    "queued": "The assistant is about to answer; you can write again when it has.",
    "in_progress": "The assistant is answering; you can write again when it has finished.",
    "requires_action": "The assistant is waiting for the tool outputs above.",
    "cancelling": "The run is being cancelled.",
}


@require_GET
def thread_list(request: HttpRequest) -> HttpResponse:
    threads = ThreadRecord.objects.owned_by(request.user)
    page = Paginator(threads, 25).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"nav": "threads", "threads": page, "page_obj": page}
    # Threads others shared with the team, newest activity first.
    context["shared"] = ThreadRecord.objects.shared_with(request.user).select_related("owner")[:50]
    with saying_errors(context, "assistants_error"):
        context["assistants"] = (
            backend(Connection.objects.default()).assistants.list(limit=100).data
        )
    return render(request, "threads/list.html", context)


@require_POST
def thread_create(request: HttpRequest) -> HttpResponse:
    form = NewThreadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an assistant to chat with.")
        return redirect("thread_list")
    connection = Connection.objects.default()
    client = backend(connection)
    try:
        assistant = client.assistants.retrieve(form.cleaned_data["assistant_id"])
        thread = client.threads.create(metadata={"created_by": request.user.get_username()})
    except AssistantsError as error:
        messages.error(request, f"Could not start the chat. {in_words(error)}")
        return redirect("thread_list")
    record = ThreadRecord.objects.create(
        connection=connection,
        thread_id=thread.id,
        owner=request.user,
        assistant_id=assistant.id,
        assistant_name=assistant.name or "",
    )
    return redirect(record)


@require_GET
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(ThreadRecord.objects.visible_to(request.user), pk=pk)
    earlier_than = request.GET.get("earlier_than", "")
    context = conversation(request, thread, earlier_than=earlier_than)
    return render(request, "threads/detail.html", context)


@require_GET
def thread_earlier(request: HttpRequest, pk: int) -> HttpResponse:
    """Earlier messages, loaded on demand (htmx); without JavaScript, the page itself pages."""
    thread = get_object_or_404(ThreadRecord.objects.visible_to(request.user), pk=pk)
    earlier_than = request.GET.get("earlier_than", "")
    if not request.htmx:
        return redirect(f"{thread.get_absolute_url()}?{urlencode({'earlier_than': earlier_than})}")
    context = {"thread": thread}
    context.update(_messages(backend(thread.connection), thread, earlier_than))
    return render(request, "threads/detail.html#earlier", context)


@require_POST
def thread_send(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    form = MessageForm(request.POST)
    attach = attachments_form(thread, request.POST, request.FILES)
    if not (form.is_valid() & attach.is_valid()):
        return _send_failed(request, thread, form, "", attach)
    client = backend(thread.connection)
    text = form.cleaned_data["content"]
    try:
        attachments = attach.upload_all(client, thread, request.user)
        client.threads.messages.create(
            thread.thread_id,
            role="user",
            content=text,
            attachments=attachments or NOT_GIVEN,
            metadata={"sent_by": request.user.get_username()},
        )
    except AssistantsError as error:
        return _send_failed(request, thread, form, in_words(error), attach)
    thread.note_user_message(text)
    start_error = ""
    try:
        start_run(thread, client, request.user, form.run_options())
    except AssistantsError as error:
        # The message is in the thread; only the run is missing: "Try again" starts it.
        start_error = in_words(error)
    if request.htmx:
        context = conversation(request, thread, start_error=start_error)
        context["retitle"] = True  # the first message may have given the thread its title
        return render(request, "threads/detail.html#conversation", context)
    if start_error:
        messages.error(
            request, f"Your message was sent, but the assistant could not start. {start_error}"
        )
    return redirect(thread)


@require_http_methods(["GET", "POST"])
def thread_rename(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(ThreadRecord.objects.owned_by(request.user), pk=pk)
    form = RenameThreadForm(request.POST or None, initial={"title": thread.title})
    if request.method == "POST" and form.is_valid():
        thread.rename(form.cleaned_data["title"])
        messages.success(request, "Renamed.")
        return redirect(thread)
    status = 422 if form.is_bound else 200
    context = {"nav": "threads", "thread": thread, "form": form}
    return render(request, "threads/rename.html", context, status=status)


@require_http_methods(["GET", "POST"])
def thread_delete(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(ThreadRecord.objects.owned_by(request.user), pk=pk)
    context: dict[str, Any] = {"nav": "threads", "thread": thread}
    if request.method == "POST":
        client = backend(thread.connection)
        try:
            client.threads.delete(thread.thread_id)
        except NotFoundError:
            pass  # already gone on the backend: forget it here too
        except AssistantsError as error:
            context["error"] = in_words(error)
            return render(request, "threads/confirm_delete.html", context, status=422)
        delete_thread_files(client, thread)  # its attachments and outputs go with it
        thread.delete()
        messages.success(request, f"Deleted “{thread.display_title}”.")
        return redirect("thread_list")
    return render(request, "threads/confirm_delete.html", context)


# --- The chat pane, shared with views.runs ------------------------------------------------


def conversation(
    request: HttpRequest,
    thread: ThreadRecord,
    *,
    composer: MessageForm | None = None,
    attach: AttachmentsForm | None = None,
    send_error: str = "",
    start_error: str = "",
    earlier_than: str = "",
) -> dict[str, Any]:
    """Everything the chat pane shows: messages, the run in progress, the composer."""
    client = backend(thread.connection)
    context: dict[str, Any] = {
        "nav": "threads",
        "thread": thread,
        "can_chat": thread.can_chat(request.user),
        "send_error": send_error,
        "start_error": start_error,
        "assistant_url": reverse("assistant_edit", args=[thread.assistant_id]),
    }
    context.update(_messages(client, thread, earlier_than))
    context["showing_earlier"] = bool(earlier_than)
    last_run = thread.runs.first()
    if last_run is not None and last_run.is_active:
        status = run_context(request, thread, last_run, client)
        if last_run.is_active:  # still, after asking the backend
            context.update(status)
    run = context.get("run")
    context["last_run"] = None if run else last_run
    if context["last_run"] is not None:
        context["last_run_words"] = status_words(last_run.status)
    rows = context["messages"]
    context["unanswered"] = bool(not run and not earlier_than and rows and rows[-1].role == "user")
    context["busy"] = run is not None
    context["busy_reason"] = BUSY_REASONS.get(run.status, "") if run else ""
    if composer is None:
        composer = MessageForm(initial={"content": request.GET.get("draft", "")})
    context["composer"] = composer
    context["attach_form"] = attach or attachments_form(thread)
    try:
        context["model_choices"] = model_choices(thread.connection, client)
    except AssistantsError:
        context["model_choices"] = []  # only suggestions: the field takes any name
    return context


def run_context(
    request: HttpRequest,
    thread: ThreadRecord,
    record: RunRecord,
    client: AssistantsClient,
    *,
    delay: int = FIRST_POLL_DELAY_MS,
    run: Run | None = None,
) -> dict[str, Any]:
    """The run-status element: polling while the run works, the tool-call cards when it waits."""
    context: dict[str, Any] = {
        "thread": thread,
        "run": record,
        "can_chat": thread.can_chat(request.user),
    }
    try:
        run = run or current_run(record, client)
    except AssistantsError as error:
        # The backend did not answer: say so, and keep polling (slowly) in case it comes back.
        context.update(
            status_words="Could not reach the assistant service",
            status_note=in_words(error),
            elapsed=0,
            polling=True,
            delay=delay,
            next_delay=next_poll_delay(delay),
        )
        return context
    context.update(
        run_obj=run,
        busy_reason=BUSY_REASONS.get(run.status, ""),
        status_words=status_words(run.status),
        elapsed=elapsed_seconds(run),
        delay=delay,
        next_delay=next_poll_delay(delay),
        # Someone who can answer the tool calls gets the cards (no polling: it would wipe
        # what they type); anyone else keeps watching.
        polling=not run.is_terminal
        and (run.status != "requires_action" or not context["can_chat"]),
    )
    if run.status == "requires_action" and context["can_chat"]:
        calls = [call.model_dump(mode="json") for call in run.required_tool_calls]
        context["tool_form"] = ToolOutputsForm(calls)
        context["expires_in"] = expires_in_words(run)
    return context


def _messages(client: AssistantsClient, thread: ThreadRecord, earlier_than: str) -> dict[str, Any]:
    """One page of messages, newest last, and the cursor for earlier ones."""
    try:
        page = client.threads.messages.list(
            thread.thread_id,
            order="desc",
            limit=settings.DASHBOARD_MESSAGES_PAGE,
            after=earlier_than or NOT_GIVEN,
        )
    except AssistantsError as error:
        return {"messages": [], "messages_error": in_words(error), "earlier_cursor": None}
    rows = message_rows(page.data)
    decorate(rows, page.data, thread, client)  # citations, images, attachments, code steps
    return {"messages": rows, "earlier_cursor": page.last_id if page.has_more else None}


def _send_failed(
    request: HttpRequest,
    thread: ThreadRecord,
    form: MessageForm,
    error: str,
    attach: AttachmentsForm | None = None,
) -> HttpResponse:
    """The message stays in the composer, with the reason it was not sent."""
    context = conversation(request, thread, composer=form, attach=attach, send_error=error)
    template = fragment(request, "threads/detail.html", "conversation")
    return render(request, template, context, status=422)
