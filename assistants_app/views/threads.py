"""Threads: "My threads", new chat, the chat pane, sending a message, regenerating the last
answer, editing and resending a message, export, the sidebar's search, rename, delete.

A thread is private to its creator until they share it with the team (read-only or "can
chat", views/sharing.py): every view finds it through ThreadRecord.objects.visible_to(user)
(chattable_by for writing, owned_by for rename and delete), so anyone else gets a 404.

"New chat" stores nothing: the empty chat is a page (thread_create, GET), and the thread,
its record and its first message are made when that message is posted.
"""

from contextlib import suppress
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from ..chat import PANE_FRAGMENT, ChatPane, DraftChat, start_run, start_thread
from ..chat_forms import ComposerForm, EditMessageForm
from ..chat_sidebar import Sidebar, new_chat_url
from ..file_forms import AttachmentsForm
from ..files import delete_thread_files
from ..forms import RenameThreadForm
from ..message_files import attachments_form
from ..models import Connection, ThreadRecord
from ..services import AssistantsClient, AssistantsError, NotFoundError
from ..services.types import Assistant, Message
from ..thread_export import EXPORTS, all_messages, filename
from ..usage import person_headers
from . import backend, fragment, in_words, saying_errors, send_message
from .stream import Turn, stream_turn, wants_stream

SEARCH_CHARS = 200


def _search(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:SEARCH_CHARS]


@require_GET
def thread_list(request: HttpRequest) -> HttpResponse:
    query = _search(request)
    threads = ThreadRecord.objects.owned_by(request.user).listed()
    shared = ThreadRecord.objects.shared_with(request.user).select_related("owner")
    if query:
        threads, shared = threads.matching(query), shared.matching(query)
    page = Paginator(threads, 25).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"nav": "threads", "threads": page, "page_obj": page, "q": query}
    # Threads others shared with the team, newest activity first.
    context["shared"] = shared[:50]
    with saying_errors(context, "assistants_error"):
        context["assistants"] = (
            backend(Connection.objects.default()).assistants.list(limit=100).data
        )
    return render(request, "threads/list.html", context)


@require_GET
def thread_sidebar(request: HttpRequest) -> HttpResponse:
    """The sidebar's list for a search (htmx); without JavaScript the search is the list page's."""
    if not request.htmx:
        return redirect(f"{reverse('thread_list')}?{urlencode({'q': _search(request)})}")
    current = request.GET.get("current", "")
    sidebar = Sidebar(
        request.user,
        _search(request),
        current=int(current) if current.isdigit() else None,
        assistant_id=request.GET.get("assistant", "")[:100],
    )
    return render(request, "threads/sidebar.html#sidebar_list", {"sidebar": sidebar})


@require_http_methods(["GET", "POST"])
def thread_create(request: HttpRequest) -> HttpResponse:
    """New chat. GET: the empty chat with an assistant (`?assistant=`), nothing stored. POST of
    its first message: the thread is made. A POST without a message (the "Chat with this
    assistant" buttons) opens the empty chat."""
    assistant_id = request.GET.get("assistant") or request.POST.get("assistant_id", "")
    if request.method == "POST" and "content" not in request.POST:
        return redirect(new_chat_url(assistant_id))
    connection = Connection.objects.default()
    client = backend(connection)
    try:
        assistant = _assistant_for_new_chat(request, client, assistant_id[:100])
    except AssistantsError as error:
        messages.error(request, f"Could not start the chat. {in_words(error)}")
        return redirect("thread_list")
    if assistant is None:
        messages.error(request, "There is no assistant to chat with yet: create one first.")
        return redirect("thread_list")
    draft = DraftChat(request.user, connection, client, assistant, search=_search(request))
    if request.method == "GET":
        template = fragment(request, "threads/new.html", "conversation")
        return render(request, template, draft.context())
    return _start_thread(request, draft)


def _assistant_for_new_chat(
    request: HttpRequest, client: AssistantsClient, assistant_id: str
) -> Assistant | None:
    """The assistant asked for; else the one of the person's latest chat; else the newest."""
    if not assistant_id:
        latest = ThreadRecord.objects.owned_by(request.user).first()
        assistant_id = latest.assistant_id if latest else ""
    if assistant_id:
        try:
            return client.assistants.retrieve(assistant_id)
        except NotFoundError:
            if request.GET.get("assistant") or request.POST.get("assistant_id"):
                raise  # asked for by name: say it is gone
    newest = client.assistants.list(limit=1, order="desc").data
    return newest[0] if newest else None


def _start_thread(request: HttpRequest, draft: DraftChat) -> HttpResponse:
    """The first message of a new chat: make the thread, its record and the message, then
    answer as thread_send does. If the message cannot be sent, nothing is kept."""
    form = ComposerForm(request.POST)
    files = AttachmentsForm(request.POST, request.FILES, allowed=lambda ids: set())
    if not (form.is_valid() & files.is_valid()):
        return _draft_failed(request, draft, form, files, "")
    client, user = draft.client, request.user
    try:
        thread = start_thread(user, draft.connection, client, draft.assistant)
    except AssistantsError as error:
        return _draft_failed(request, draft, form, files, in_words(error))
    text = form.cleaned_data["content"]
    attach = attachments_form(thread, request.POST, request.FILES)
    attach.is_valid()
    try:
        send_message(client, thread, text, attach.upload_all(client, thread, user), user)
    except AssistantsError as error:
        _forget(client, thread)
        return _draft_failed(request, draft, form, files, in_words(error))
    return _answer(request, thread, client, form.run_options(), started=True)


def _forget(client: AssistantsClient, thread: ThreadRecord) -> None:
    """A new chat whose first message did not go through leaves nothing behind."""
    delete_thread_files(client, thread)
    # Failing that, an empty thread stays on the backend, which no page lists: harmless.
    with suppress(AssistantsError):
        client.threads.delete(thread.thread_id)
    thread.delete()


def _draft_failed(
    request: HttpRequest,
    draft: DraftChat,
    form: ComposerForm,
    files: AttachmentsForm,
    error: str,
) -> HttpResponse:
    draft.sent, draft.attach, draft.send_error = form, files, error
    template = fragment(request, "threads/new.html", "conversation")
    return render(request, template, draft.context(), status=422)


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
        send_message(client, thread, text, attachments, request.user)
    except AssistantsError as error:
        return _send_failed(request, thread, form, in_words(error), attach)
    return _answer(request, thread, client, form.run_options())


def _answer(
    request: HttpRequest,
    thread: ThreadRecord,
    client: AssistantsClient,
    options: dict,
    *,
    started: bool = False,
) -> HttpResponse:
    """A new run on the thread for what was just posted: streamed, or started and shown."""
    if wants_stream(request):
        return stream_reply(request, thread, client, options, started=started)
    start_error = ""
    try:
        start_run(thread, client, request.user, options)
    except AssistantsError as error:
        # The message is in the thread; only the run is missing: "Try again" starts it.
        start_error = in_words(error)
    if request.htmx and started:
        return HttpResponseClientRedirect(thread.get_absolute_url())  # the new chat's own page
    if request.htmx:
        pane = ChatPane.of(request, thread, client, start_error=start_error)
        # The first message may have given the thread its title.
        return render(request, PANE_FRAGMENT, pane.context(retitle=True))
    if start_error:
        messages.error(
            request, f"Your message was sent, but the assistant could not start. {start_error}"
        )
    return redirect(thread)


@require_POST
def thread_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    """The last answer written again: a new run on the thread, with the last run's options."""
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    client = backend(thread.connection)
    pane = ChatPane.of(request, thread, client)
    if pane.busy:
        return _refused(request, pane, "The assistant is still answering; wait until it has.")
    thread.note_activity()
    return _answer(request, thread, client, pane.last_options)


@require_POST
def message_edit(request: HttpRequest, pk: int, message_id: str) -> HttpResponse:
    """One's own message, edited, goes in again as a new message with a new run; what came
    after the original stays, marked as before the edit."""
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    client = backend(thread.connection)
    pane = ChatPane.of(request, thread, client)
    try:
        original = client.threads.messages.retrieve(message_id, thread_id=thread.thread_id)
    except NotFoundError as error:
        raise Http404("No such message") from error
    except AssistantsError as error:
        return _refused(request, pane, f"Could not read the message. {in_words(error)}")
    if original.role != "user" or not pane.sent_by_me((original.metadata or {}).get("sent_by", "")):
        raise Http404("Not a message of yours")
    form = EditMessageForm(request.POST)
    if not form.is_valid():
        return _refused(request, pane, " ".join(form.errors["content"]))
    if pane.busy:
        return _refused(request, pane, "The assistant is still answering; wait until it has.")
    text, attachments = form.cleaned_data["content"], _attachments_of(original)
    try:
        send_message(client, thread, text, attachments, request.user, edit_of=original.id)
    except AssistantsError as error:
        return _refused(request, pane, f"The edited message was not sent. {in_words(error)}")
    return _answer(request, thread, client, pane.last_options)


def _attachments_of(message: Message) -> list[dict[str, Any]]:
    """The message's attachments as a new message takes them: the same files, the same tools."""
    return [
        {"file_id": item.file_id, "tools": [{"type": tool.type} for tool in item.tools]}
        for item in message.attachments or []
        if item.file_id
    ]


def _refused(request: HttpRequest, pane: ChatPane, reason: str) -> HttpResponse:
    """A regenerate or an edit that cannot go ahead: the pane says why."""
    if not request.htmx:
        messages.error(request, reason)
        return redirect(pane.thread)
    pane.action_error = reason
    return render(request, PANE_FRAGMENT, pane.context(), status=422)


@require_GET
def thread_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The whole thread as a download: Markdown to read, JSON for programs."""
    thread = get_object_or_404(ThreadRecord.objects.visible_to(request.user), pk=pk)
    if fmt not in EXPORTS:
        raise Http404("No such format")
    write, content_type = EXPORTS[fmt]
    try:
        found = all_messages(backend(thread.connection), thread)
    except AssistantsError as error:
        messages.error(request, f"Could not export the thread. {in_words(error)}")
        return redirect(thread)
    response = HttpResponse(write(thread, found), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(thread, fmt)}"'
    return response


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
    request: HttpRequest,
    thread: ThreadRecord,
    client: AssistantsClient,
    options: dict,
    *,
    started: bool = False,
) -> StreamingHttpResponse:
    """The reply to the message just stored, streamed as the backend writes it (`started`:
    the message began the thread, and the page becomes the thread's)."""
    turn = Turn(request, thread, client, options=options, started=started)
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
