"""Files in the assistant builder: files for the code interpreter (at most 20) and a vector
store for file search, uploaded with a button or by dropping them, wired into the assistant's
`tool_resources`.

New files are uploaded on any post of the builder (also "Add a function" and a save with
errors) and then travel as ids in hidden fields, so nothing chosen is lost or sent twice; the
vector store is made or filled only when the assistant is saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from .error_words import in_words
from .file_forms import CODE_FILES_MAX, MultipleFileField, clean_ids
from .files import file_names, library_choices, upload
from .models import Connection, FileRecord, VectorStoreRecord
from .services import AssistantsClient, AssistantsError
from .services.types import Assistant

NO_STORE, NEW_STORE = "", "new"


class AssistantFilesForm(forms.Form):
    code_upload = MultipleFileField(label="Add files", max_files=CODE_FILES_MAX)
    code_pick = forms.MultipleChoiceField(
        required=False,
        label="Or pick from Files",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    search_store = forms.ChoiceField(required=False, label="Vector store")
    search_upload = MultipleFileField(label="Add files")
    search_pick = forms.MultipleChoiceField(
        required=False,
        label="Or pick from Files",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(
        self,
        data=None,
        files=None,
        *,
        code_ids: list[str],
        store_id: str,
        pending_ids: list[str] | None = None,
        removed: list[str] | None = None,
        store_choices: list[tuple[str, str]],
        library: list[tuple[str, str]],
    ) -> None:
        super().__init__(data, files, prefix="files")
        self.code_ids = code_ids
        self.removed = [i for i in removed or [] if i in code_ids]
        self.pending_ids = pending_ids or []
        self.store_id = store_id
        self.fields["code_pick"].choices = library
        self.fields["search_pick"].choices = library
        self.fields["search_store"].choices = [
            (NO_STORE, "No vector store"),
            (NEW_STORE, "A new vector store for this assistant"),
            *store_choices,
        ]
        self.fields["search_store"].initial = store_id
        self.code_rows: list[dict[str, Any]] = []
        self.pending_rows: list[dict[str, str]] = []
        self.code_room = CODE_FILES_MAX

    def clean(self) -> dict:
        cleaned = super().clean()
        kept = [i for i in self.code_ids if i not in self.removed]
        new = list(cleaned.get("code_pick") or []) + list(cleaned.get("code_upload") or [])
        if len(kept) + len(new) > CODE_FILES_MAX:
            self.add_error(
                "code_upload",
                f"The code interpreter takes at most {CODE_FILES_MAX} files: {len(kept)} are "
                f"chosen already and {len(new)} more were added. Remove some first.",
            )
        if "search_store" in cleaned:
            self.store_id = cleaned["search_store"]
        return cleaned

    def upload_new(self, client: AssistantsClient, connection: Connection, user) -> bool:
        """Send the new files to the backend (team library) and keep their ids; False, with
        the reason on the field, if one did not go through."""
        for field, target in (("code_upload", self.code_ids), ("search_upload", self.pending_ids)):
            for uploaded in self.cleaned_data.get(field) or []:
                try:
                    target.append(upload(client, connection, user, uploaded).file_id)
                except AssistantsError as error:
                    self.add_error(field, f"{uploaded.name} was not uploaded. {in_words(error)}")
                    return False
        for picked in self.cleaned_data.get("code_pick") or []:
            if picked not in self.code_ids:
                self.code_ids.append(picked)
        for picked in self.cleaned_data.get("search_pick") or []:
            if picked not in self.pending_ids:
                self.pending_ids.append(picked)
        return True

    def tool_resources(
        self, client: AssistantsClient, connection: Connection, user, *, name: str
    ) -> dict[str, Any]:
        """The assistant's tool_resources; makes or fills the vector store first."""
        store_id = self.store_id
        if self.pending_ids and store_id == NO_STORE:
            store_id = NEW_STORE  # files for file search need a store: make one
        if store_id == NEW_STORE:
            store_name = f"{name or 'Assistant'} files"[:256]
            store = client.vector_stores.create(name=store_name, file_ids=self.pending_ids)
            VectorStoreRecord.objects.create(
                connection=connection, vector_store_id=store.id, name=store_name, created_by=user
            )
            store_id = store.id
            self.fields["search_store"].choices = [
                *self.fields["search_store"].choices,
                (store_id, store_name),
            ]
        elif self.pending_ids:
            client.vector_stores.file_batches.create(store_id, file_ids=self.pending_ids)
        # Done: a later failure (the assistant itself refused) must not make or fill it again.
        self.store_id, self.pending_ids = store_id, []
        return {
            "code_interpreter": {"file_ids": [i for i in self.code_ids if i not in self.removed]},
            "file_search": {"vector_store_ids": [store_id] if store_id else []},
        }

    def prepare(self, client: AssistantsClient, connection: Connection) -> None:
        """Names for the files listed, for the page."""
        names = file_names(client, connection, self.code_ids + self.pending_ids)
        self.code_rows = [
            {"id": i, "name": names.get(i, i), "removed": i in self.removed} for i in self.code_ids
        ]
        self.pending_rows = [{"id": i, "name": names.get(i, i)} for i in self.pending_ids]
        self.code_room = max(0, CODE_FILES_MAX - len(self.code_ids) + len(self.removed))
        # The drop zone's own check (static/js/files.js) counts against the room left.
        self.fields["code_upload"].widget.max_files = self.code_room


def initial_form(
    request: HttpRequest,
    client: AssistantsClient,
    connection: Connection,
    assistant: Assistant | None,
) -> AssistantFilesForm:
    code_ids, store_id = _current(assistant)
    return AssistantFilesForm(
        code_ids=code_ids,
        store_id=store_id,
        store_choices=_store_choices(request, client, connection, store_id),
        library=library_choices(connection),
    )


def bound_form(
    request: HttpRequest,
    client: AssistantsClient,
    connection: Connection,
    assistant: Assistant | None,
) -> AssistantFilesForm:
    """The posted form with its new files uploaded (when the limits allow)."""
    current_codes, current_store = _current(assistant)

    def allowed(ids: list[str]) -> set[str]:
        # An id posted back must be the assistant's already, or a file the person may read.
        readable = FileRecord.objects.readable_ids(request.user, connection, ids)
        return set(ids) & set(current_codes) | readable

    posted = request.POST
    code_ids = clean_ids(posted.getlist("files-code_ids"), allowed)
    form = AssistantFilesForm(
        posted,
        request.FILES,
        code_ids=code_ids,
        store_id=current_store,
        pending_ids=clean_ids(posted.getlist("files-pending_ids"), allowed),
        removed=posted.getlist("files-code_remove"),
        store_choices=_store_choices(request, client, connection, current_store),
        library=library_choices(connection),
    )
    if form.is_valid():
        form.upload_new(client, connection, request.user)
    return form


def _current(assistant: Assistant | None) -> tuple[list[str], str]:
    resources = assistant.tool_resources if assistant else None
    code = resources.code_interpreter if resources else None
    search = resources.file_search if resources else None
    stores = search.vector_store_ids if search else []
    return list(code.file_ids if code else []), stores[0] if stores else NO_STORE


def _store_choices(
    request: HttpRequest, client: AssistantsClient, connection: Connection, current: str
) -> list[tuple[str, str]]:
    try:
        stores = client.vector_stores.list(limit=100, order="desc").data
    except AssistantsError:
        stores = []
    visible = VectorStoreRecord.objects.visible_ids(
        request.user, connection, [s.id for s in stores]
    )
    visible.add(current)
    choices = [
        (s.id, f"{s.name or s.id} ({s.file_counts.total} files)") for s in stores if s.id in visible
    ]
    if current and current not in {c[0] for c in choices}:
        choices.insert(0, (current, current))
    return choices
