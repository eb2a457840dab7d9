"""Threads: "My threads", new chat, the chat pane, sending a message, rename, delete.

A thread is private to its creator until they share it with the team (read-only or "can
chat", views/sharing.py): every view finds it through ThreadRecord.objects.visible_to(user)
(chattable_by for writing, owned_by for rename and delete), so anyone else gets a 404.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..chat import PANE_FRAGMENT, ChatPane, start_run
from ..chat_forms import ComposerForm
from ..file_forms import AttachmentsForm
from ..files import delete_thread_files
from ..forms import NewThreadForm, RenameThreadForm
from ..message_files import attachments_form
from ..models import Connection, ThreadRecord
from ..services import NOT_GIVEN, AssistantsClient, AssistantsError, NotFoundError
from ..usage import person_headers
from . import backend, fragment, in_words, saying_errors
from .stream import Turn, stream_turn, wants_stream


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
    pane = ChatPane.of(request, thread, backend(thread.connection), earlier_than=earlier_than)
    return render(request, fragment(request, "threads/detail.html", "conversation"), pane.context())


@require_GET
def thread_earlier(request: HttpRequest, pk: int) -> HttpResponse:
    """Earlier messages, loaded on demand (htmx); without JavaScript, the page itself pages."""
    thread = get_object_or_404(ThreadRecord.objects.visible_to(request.user), pk=pk)
    earlier_than = request.GET.get("earlier_than", "")
    if not request.htmx:
        return redirect(f"{thread.get_absolute_url()}?{urlencode({'earlier_than': earlier_than})}")
    pane = ChatPane.of(request, thread, backend(thread.connection), earlier_than=earlier_than)
    return render(request, "threads/detail.html#earlier", pane.context())


@require_POST
def thread_send(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    form = ComposerForm(request.POST)
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
    if wants_stream(request):
        return stream_reply(request, thread, client, form.run_options())
    start_error = ""
    try:
        start_run(thread, client, request.user, form.run_options())
    except AssistantsError as error:
        # The message is in the thread; only the run is missing: "Try again" starts it.
        start_error = in_words(error)
    if request.htmx:
        pane = ChatPane.of(request, thread, client, start_error=start_error)
        # The first message may have given the thread its title.
        return render(request, PANE_FRAGMENT, pane.context(retitle=True))
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


def stream_reply(
    request: HttpRequest, thread: ThreadRecord, client: AssistantsClient, options: dict
) -> StreamingHttpResponse:
    """The reply to the message just stored, streamed as the backend writes it."""
    turn = Turn(request, thread, client, options=options)
    return stream_turn(
        turn,
        lambda api: api.threads.runs.create(
            thread.thread_id,
            assistant_id=thread.assistant_id,
            stream=True,
            extra_headers=person_headers(thread.connection, request.user),
            **options,
        ),
    )


def _send_failed(
    request: HttpRequest,
    thread: ThreadRecord,
    form: ComposerForm,
    error: str,
    attach: AttachmentsForm | None = None,
) -> HttpResponse:
    """The message stays in the composer, with the reason it was not sent."""
    client = backend(thread.connection)
    pane = ChatPane.of(request, thread, client, sent=form, attach=attach, send_error=error)
    template = fragment(request, "threads/detail.html", "conversation")
    return render(request, template, pane.context(), status=422)
