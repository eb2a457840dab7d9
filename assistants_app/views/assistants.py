"""Assistants: list and search, the builder (create / edit), duplicate, delete.

Assistants are shared by the team: every signed-in person may see and change them, and the
local AssistantRecord says who changed which one last.
"""

import json
from functools import partial

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import assistant_files, audit, trial
from ..catalog import assistant_rows, find_assistants, model_choices
from ..chat import PANE_FRAGMENT, ChatPane, DraftChat, start_run
from ..chat_forms import ComposerForm
from ..code_snippets import snippets
from ..forms import (
    FUNCTION_TEMPLATES,
    AssistantBuilder,
    ImportAssistantForm,
    parse_json_schema,
)
from ..message_files import attachments_form
from ..models import AssistantRecord, Connection, ThreadRecord
from ..services import AssistantsClient, AssistantsError, InvalidRequestError, NotFoundError
from ..services.types import METADATA_MAX_PAIRS, Assistant
from . import backend, fragment, in_words, saying_errors, send_message
from .stream import wants_stream
from .threads import stream_reply

# Starter functions offered as buttons (the "blank" template is the "Add a function" button).
TEMPLATE_LABELS = [(key, key) for key in FUNCTION_TEMPLATES if key != "blank"]


@require_GET
def assistant_list(request: HttpRequest) -> HttpResponse:
    query, after = request.GET.get("q", "").strip(), request.GET.get("after", "")
    connection = Connection.objects.default()
    context = {"nav": "assistants", "query": query, "after": after, "rows": []}
    with saying_errors(context):
        found, context["next_cursor"] = find_assistants(
            backend(connection), query=query, after=after
        )
        context["rows"] = assistant_rows(connection, found)
    return render(request, fragment(request, "assistants/list.html", "results"), context)


@require_http_methods(["GET", "POST"])
def assistant_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_builder(request, AssistantBuilder())
    connection = Connection.objects.default()
    return _builder_post(request, connection, backend(connection), None)


@require_http_methods(["GET", "POST"])
def assistant_edit(request: HttpRequest, assistant_id: str) -> HttpResponse:
    connection = Connection.objects.default()
    client = backend(connection)
    assistant = _retrieve_or_404(client, assistant_id)
    if request.method == "GET":
        builder = AssistantBuilder.for_assistant(assistant.model_dump(mode="json"))
        return _render_builder(request, builder, assistant=assistant)
    return _builder_post(request, connection, client, assistant)


@require_POST
def assistant_duplicate(request: HttpRequest, assistant_id: str) -> HttpResponse:
    connection = Connection.objects.default()
    client = backend(connection)
    original = _retrieve_or_404(client, assistant_id)
    fields = original.model_dump(
        mode="json",
        exclude_none=True,
        include={
            "model", "description", "instructions", "tools", "tool_resources", "metadata",
            "temperature", "top_p", "response_format", "reasoning_effort",
        },
    )  # fmt: skip
    name = f"Copy of {original.name or original.id}"[:256]
    try:
        copy = client.assistants.create(name=name, **fields)
    except AssistantsError as error:
        messages.error(request, f"Could not duplicate the assistant. {in_words(error)}")
        return redirect("assistant_edit", assistant_id)
    audit.assistant_saved(connection, request.user, None, copy)
    messages.success(request, f"Created {name}: change what you need and save.")
    return redirect("assistant_edit", copy.id)


@require_GET
def assistant_export(request: HttpRequest, assistant_id: str) -> HttpResponse:
    """The assistant as the API returns it, as a JSON file (Import reads it back)."""
    assistant = _retrieve_or_404(backend(Connection.objects.default()), assistant_id)
    body = json.dumps(
        assistant.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False
    )
    response = HttpResponse(body + "\n", content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{assistant.id}.json"'
    return response


@require_http_methods(["GET", "POST"])
def assistant_import(request: HttpRequest) -> HttpResponse:
    """An assistant from JSON (an export, or a definition from code), checked like the form:
    valid, it is created; otherwise the builder opens with it and says what to correct."""
    form = ImportAssistantForm(request.POST or None, request.FILES or None)
    if not form.is_valid():
        context = {"nav": "assistants", "form": form}
        return render(
            request, "assistants/import.html", context, status=422 if form.is_bound else 200
        )
    builder = form.cleaned_data["builder"]
    connection = Connection.objects.default()
    page = partial(_render_builder, request, form_action=reverse("assistant_create"), status=422)
    if not builder.is_valid():
        return page(builder)
    try:
        saved = backend(connection).assistants.create(**builder.payload())
    except AssistantsError as error:
        return page(builder, error=error)
    audit.assistant_saved(connection, request.user, None, saved)
    messages.success(request, f"Imported the assistant {saved.name or saved.id}.")
    return redirect("assistant_edit", saved.id)


@require_http_methods(["GET", "POST"])
def assistant_delete(request: HttpRequest, assistant_id: str) -> HttpResponse:
    connection = Connection.objects.default()
    client = backend(connection)
    assistant = _retrieve_or_404(client, assistant_id)
    context = {"nav": "assistants", "assistant": assistant}
    if request.method == "POST":
        try:
            client.assistants.delete(assistant_id)
        except AssistantsError as error:
            context["error"] = in_words(error)
            return render(request, "assistants/confirm_delete.html", context, status=422)
        audit.assistant_deleted(connection, request.user, assistant)
        messages.success(request, f"Deleted the assistant {assistant.name or assistant.id}.")
        return redirect("assistant_list")
    return render(request, "assistants/confirm_delete.html", context)


@require_POST
def assistant_check_schema(request: HttpRequest) -> HttpResponse:
    """Live check of a JSON Schema editor (htmx): valid, or where it is wrong."""
    field = request.POST.get("field", "")
    text = request.POST.get(field, "").strip()
    context = {"field_name": field, "kind": request.POST.get("kind", "function")}
    context["check_url"] = reverse("assistant_check_schema")
    if text:
        context["checked"] = True
        try:
            parse_json_schema(text, require_object=context["kind"] == "function")
        except Exception as error:  # a forms.ValidationError with the message to show
            context["schema_error"] = " ".join(getattr(error, "messages", [str(error)]))
    return render(request, "assistants/form.html#schema_check", context)


@require_POST
def assistant_try(request: HttpRequest, assistant_id: str) -> HttpResponse:
    """A message in the test chat, run with the builder's settings as they are now (posted as
    `settings` by static/js/builder.js), saved or not; without them, as saved."""
    connection = Connection.objects.default()
    client = backend(connection)
    assistant = _retrieve_or_404(client, assistant_id)
    form = ComposerForm(request.POST)
    overrides, problem = {}, ""
    if "settings" in request.POST:
        builder = AssistantBuilder(QueryDict(request.POST["settings"]))
        if builder.is_valid():
            overrides = builder.run_overrides()
        else:
            problem = "The settings in the form need attention first: " + " ".join(
                builder.error_summary()
            )
    thread = trial.current(request.user, assistant.id)
    if not form.is_valid() or problem:
        return _try_failed(request, assistant, thread, client, form, problem)
    try:
        thread = thread or trial.start(request.user, connection, client, assistant)
        attach = attachments_form(thread, request.POST, request.FILES)
        if not attach.is_valid():
            return _try_failed(request, assistant, thread, client, form, "", attach)
        attachments = attach.upload_all(client, thread, request.user)
        send_message(client, thread, form.cleaned_data["content"], attachments, request.user)
    except AssistantsError as error:
        return _try_failed(request, assistant, thread, client, form, in_words(error))
    options = {**overrides, **form.run_options()}  # the composer's own options win
    if wants_stream(request):
        return stream_reply(request, thread, client, options)
    start_error = ""
    try:
        start_run(thread, client, request.user, options)
    except AssistantsError as error:
        start_error = in_words(error)
    if request.htmx:
        pane = ChatPane.of(request, thread, client, start_error=start_error)
        return render(request, PANE_FRAGMENT, pane.context())
    if start_error:
        messages.error(request, f"The test chat could not start. {start_error}")
    return redirect("assistant_edit", assistant.id)


@require_POST
def assistant_try_keep(request: HttpRequest, assistant_id: str) -> HttpResponse:
    """The current test chat becomes an ordinary thread in My threads; the next try starts
    afresh."""
    thread = trial.current(request.user, assistant_id)
    if thread is not None:
        thread.keep()
    if request.htmx:
        return _test_chat_section(request, assistant_id, kept=thread, nothing_kept=not thread)
    if thread is None:
        messages.info(request, "There is nothing to keep yet: write a message first.")
    else:
        messages.success(request, f"Kept “{thread.display_title}” in My threads.")
    return redirect("assistant_edit", assistant_id)


@require_GET
def assistant_try_open(request: HttpRequest, assistant_id: str) -> HttpResponse:
    """The current test chat on its own page (rename, delete, share, as any thread)."""
    thread = trial.current(request.user, assistant_id)
    if thread is None:
        messages.info(request, "There is no test chat yet: write a message first.")
        return redirect("assistant_edit", assistant_id)
    return redirect(thread)


@require_POST
def assistant_try_new(request: HttpRequest, assistant_id: str) -> HttpResponse:
    """Start the test chat over: the next message begins a new one (the last stays, unlisted,
    at its address until deleted)."""
    connection = Connection.objects.default()
    client = backend(connection)
    assistant = _retrieve_or_404(client, assistant_id)
    try:
        trial.start(request.user, connection, client, assistant)
    except AssistantsError as error:
        messages.error(request, f"Could not start a new test chat. {in_words(error)}")
    if request.htmx:
        return _test_chat_section(request, assistant_id)
    return redirect("assistant_edit", assistant_id)


def _test_chat_section(request: HttpRequest, assistant_id: str, **extra) -> HttpResponse:
    client = backend(Connection.objects.default())
    assistant = _retrieve_or_404(client, assistant_id)
    context = {"assistant": assistant, **_test_chat(request, client, assistant), **extra}
    return render(request, "assistants/try.html#test_chat", context)


def _try_failed(
    request: HttpRequest,
    assistant: Assistant,
    thread: ThreadRecord | None,
    client: AssistantsClient,
    form: ComposerForm,
    error: str,
    attach=None,
) -> HttpResponse:
    """The message stays in the test chat's box, with the reason it was not sent: in the test
    chat's fragment, or without JavaScript on the whole builder page (as saved)."""
    if thread is None:
        starter = _StarterChat.of(request, client, assistant, sent=form, send_error=error)
        chat = {"trial": None, "starter": starter}
    else:
        pane = ChatPane.of(request, thread, client, sent=form, attach=attach, send_error=error)
        chat = {"trial": thread, "thread": thread, "chat": pane}
    if not request.htmx:
        builder = AssistantBuilder.for_assistant(assistant.model_dump(mode="json"))
        return _render_builder(request, builder, assistant=assistant, test_chat=chat, status=422)
    if thread is None:
        return render(
            request, "assistants/try.html#starter", {"assistant": assistant, **chat}, status=422
        )
    return render(request, PANE_FRAGMENT, pane.context(), status=422)


def _builder_post(
    request: HttpRequest,
    connection: Connection,
    client: AssistantsClient,
    assistant: Assistant | None,
) -> HttpResponse:
    """A post of the builder: add or remove a row (nothing is saved yet), or save, creating
    the assistant or updating `assistant`."""
    builder = AssistantBuilder(request.POST)
    files = assistant_files.bound_form(request, client, connection, assistant)
    page = partial(_render_builder, request, assistant=assistant, files=files)
    action = request.POST.get("action", "save")
    if action != "save":
        # A row added or removed: with htmx only its section comes back, changed in place.
        rows = "metadata" if "metadata" in action else "functions"
        added = {"add_function": "function", "template": "function", "add_metadata": "metadata"}
        new_row = added.get(action.partition("-")[0], "")
        return page(builder.draft(action), rows=rows if request.htmx else "", new_row=new_row)
    if not (builder.is_valid() & files.is_valid()):
        return page(builder, status=422)
    try:
        payload = builder.payload(for_update=assistant is not None)
        name = payload.get("name") or (assistant.name if assistant else "") or ""
        payload["tool_resources"] = files.tool_resources(
            client, connection, request.user, name=name
        )
        if assistant is None:
            saved = client.assistants.create(**payload)
        else:
            saved = client.assistants.update(assistant.id, **payload)
    except AssistantsError as error:
        return page(builder, error=error, status=422)
    audit.assistant_saved(connection, request.user, assistant, saved)
    messages.success(
        request,
        f"Created the assistant {saved.name or saved.id}." if assistant is None else "Saved.",
    )
    return redirect("assistant_edit", saved.id)


def _retrieve_or_404(client, assistant_id: str) -> Assistant:
    try:
        return client.assistants.retrieve(assistant_id)
    except NotFoundError as error:
        raise Http404("No such assistant.") from error


def _render_builder(
    request: HttpRequest,
    builder: AssistantBuilder,
    *,
    assistant: Assistant | None = None,
    error: AssistantsError | None = None,
    files: assistant_files.AssistantFilesForm | None = None,
    status: int = 200,
    rows: str = "",
    new_row: str = "",
    form_action: str = "",
    test_chat: dict | None = None,
) -> HttpResponse:
    """The builder page, or only its `rows` section ("functions", "metadata") for htmx.
    `test_chat`: the test chat's context, when a message to it was refused (else as it is)."""
    connection = Connection.objects.default()
    context = {
        "nav": "assistants",
        "form": builder.form,
        "tools": builder.tools,
        "metadata": builder.metadata,
        "has_errors": builder.has_errors,
        "show_errors": builder.is_bound,
        "assistant": assistant,
        "function_templates": TEMPLATE_LABELS,
        "metadata_max": METADATA_MAX_PAIRS,
        "check_url": reverse("assistant_check_schema"),
        "unsaved": builder.is_bound,  # a draft or a refused save: not saved yet
        "new_row": new_row,
        "form_action": form_action,
        "connection": connection,
    }
    if rows:
        return render(request, f"assistants/form.html#{rows}", context, status=status)
    if error is not None:
        if isinstance(error, InvalidRequestError) or error.field_errors():
            builder.add_api_errors(error.field_errors())
        context["api_error"] = _api_error_text(error)
    if assistant is not None:
        context["record"] = AssistantRecord.objects.for_ids(connection, [assistant.id]).get(
            assistant.id
        )
    try:
        context["model_choices"] = model_choices(connection, backend(connection))
    except AssistantsError as models_error:
        context["model_choices"], context["models_error"] = [], in_words(models_error)
    if not builder.is_bound and not builder.form.initial.get("model"):
        # A new assistant starts on the connection's default model, so "Create" just works.
        suggestions = context["model_choices"]
        first = next((value for value, _ in suggestions), "")
        builder.form.initial["model"] = connection.default_model or first
    client = backend(connection)
    if assistant is not None:
        context.update(test_chat or _test_chat(request, client, assistant))
        context["snippets"] = snippets(_api_base_url(request, connection), assistant.id)
        context["connection_is_builtin"] = connection.is_builtin
    files = files or assistant_files.initial_form(request, client, connection, assistant)
    files.prepare(client, connection)
    context["files"] = files
    return render(request, "assistants/form.html", context, status=status)


def _test_chat(request: HttpRequest, client: AssistantsClient, assistant: Assistant) -> dict:
    """The test chat beside the builder: the person's current one, or a box to begin one."""
    thread = trial.current(request.user, assistant.id)
    if thread is None:
        return {"trial": None, "starter": _StarterChat.of(request, client, assistant)}
    return {"trial": thread, "thread": thread, "chat": ChatPane.of(request, thread, client)}


class _StarterChat(DraftChat):
    """The test chat before its first message: a new chat's composer, sent to assistant_try
    (which makes the test chat, the assistant named by its address)."""

    is_draft = False  # no assistant_id field: assistant_try's address names the assistant

    @classmethod
    def of(
        cls, request: HttpRequest, client: AssistantsClient, assistant: Assistant, **kwargs
    ) -> "_StarterChat":
        return cls(request.user, Connection.objects.default(), client, assistant, **kwargs)

    @property
    def send_url(self) -> str:
        return reverse("assistant_try", args=[self.assistant.id])


def _api_base_url(request: HttpRequest, connection: Connection) -> str:
    """Where code reaches this assistant: this deployment's /v1 for the built-in engine."""
    if connection.is_builtin:
        return request.build_absolute_uri("/v1").rstrip("/")
    return connection.base_url.rstrip("/")


def _api_error_text(error: AssistantsError) -> str:
    # A request refused before sending shows its field errors beside the fields instead.
    return in_words(error)
