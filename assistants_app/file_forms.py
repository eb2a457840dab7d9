"""Forms for files and vector stores: uploads (with the limits checked before anything is
sent), vector stores, searching them, and attachments in the composer."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from .files import UPLOAD_PURPOSES, max_upload_bytes, upload
from .forms import api_range
from .models import FileRecord, ThreadRecord
from .services import AssistantsClient
from .services.types import CODE_INTERPRETER_FILES_MAX, NAME_MAX, VectorStoreSearchParams

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
SEARCH_QUERY_MAX = 4096
SEARCH_RESULTS_MIN, SEARCH_RESULTS_MAX = api_range(
    VectorStoreSearchParams.model_fields["max_num_results"].annotation
)
ATTACHMENT_TOOLS = [
    ("both", "Code interpreter and file search"),
    ("code_interpreter", "Code interpreter (the code can read it)"),
    ("file_search", "File search (the assistant can quote it)"),
]


class MultipleFileInput(forms.ClearableFileInput):
    """A file input taking several files, carrying the limits for the drop zone's own check
    (static/js/files.js); read when rendered, so settings changes apply."""

    allow_multiple_selected = True

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.max_files: int | None = None

    def get_context(self, name: str, value, attrs: dict | None) -> dict:
        attrs = {
            "data-max-bytes": str(max_upload_bytes()),
            "data-max-files": str(self.max_files if self.max_files is not None else _per_upload()),
            **(attrs or {}),
        }
        return super().get_context(name, value, attrs)


def _per_upload() -> int:
    return settings.DASHBOARD_FILES_PER_UPLOAD


class MultipleFileField(forms.FileField):
    """Several files from one input; each checked against the size limit, and their number
    against `max_files` (DASHBOARD_FILES_PER_UPLOAD when not given)."""

    widget = MultipleFileInput

    def __init__(self, *, max_files: int | None = None, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_files = max_files

    def __deepcopy__(self, memo):
        copied = super().__deepcopy__(memo)
        copied.widget.max_files = self.max_files
        return copied

    @property
    def limit_files(self) -> int:
        return self.max_files if self.max_files is not None else _per_upload()

    def clean(self, data, initial=None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        files = [item for item in items if item]
        if not files:
            if self.required:
                raise forms.ValidationError("Choose at least one file.", code="required")
            return []
        single = super().clean
        cleaned = [single(item, initial) for item in files]
        limit = max_upload_bytes()
        too_big = [f for f in cleaned if f.size > limit]
        if too_big:
            names = ", ".join(f"{f.name} ({filesizeformat(f.size)})" for f in too_big)
            raise forms.ValidationError(
                f"Too large: {names}. Files may be at most {filesizeformat(limit)} each.",
                code="too_large",
            )
        if len(cleaned) > self.limit_files:
            raise forms.ValidationError(
                f"{len(cleaned)} files chosen: at most {self.limit_files} at a time.",
                code="too_many",
            )
        return cleaned


def clean_ids(values: Iterable[str], allowed: Callable[[list[str]], set[str]]) -> list[str]:
    """File or store ids posted back by a page, kept only if well-formed and `allowed`."""
    ids = [v for v in dict.fromkeys(values) if isinstance(v, str) and _ID.match(v)]
    permitted = allowed(ids) if ids else set()
    return [i for i in ids if i in permitted]


class FileUploadForm(forms.Form):
    files = MultipleFileField(required=True, label="Files")
    purpose = forms.ChoiceField(choices=UPLOAD_PURPOSES, initial="assistants")


class StoreFilesForm(forms.Form):
    """Files for a vector store: new uploads and files already in the team library."""

    files = MultipleFileField(label="Upload files")
    existing = forms.MultipleChoiceField(
        required=False,
        label="Files already uploaded",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, library: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["existing"].choices = library
        if not library:
            self.fields["existing"].widget = forms.MultipleHiddenInput()

    def has_files(self) -> bool:
        return bool(self.cleaned_data.get("files") or self.cleaned_data.get("existing"))


class AddStoreFilesForm(StoreFilesForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and not self.has_files():
            raise forms.ValidationError("Choose files to upload, or files already uploaded.")
        return cleaned


class VectorStoreForm(StoreFilesForm):
    name = forms.CharField(
        max_length=NAME_MAX, help_text="For example: Product manuals, HR policies."
    )
    field_order = ["name", "files", "existing"]


class SearchForm(forms.Form):
    q = forms.CharField(
        max_length=SEARCH_QUERY_MAX,
        label="Search",
        error_messages={"required": "Type what to look for."},
    )
    max_num_results = forms.IntegerField(
        min_value=SEARCH_RESULTS_MIN,
        max_value=SEARCH_RESULTS_MAX,
        initial=10,
        required=False,
        label="Results",
    )


class AttachmentsForm(forms.Form):
    """Files attached to a message in the composer, and which tool may use them.

    Uploads that went through while the message itself did not are posted back as
    `attachment_ids`, so they are not uploaded twice (only ids of the thread's own files count).
    """

    attachments = MultipleFileField(label="Attach files")
    attachment_tool = forms.ChoiceField(
        choices=ATTACHMENT_TOOLS, initial="both", required=False, label="Use them for"
    )

    def __init__(self, *args, allowed: Callable[[list[str]], set[str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        self.kept: list[str] = []

    def clean(self) -> dict:
        cleaned = super().clean()
        posted = self.data.getlist("attachment_ids") if hasattr(self.data, "getlist") else []
        self.kept = clean_ids(posted, self.allowed)
        return cleaned

    def tools(self) -> list[dict[str, str]]:
        choice = self.cleaned_data.get("attachment_tool") or "both"
        kinds = ["code_interpreter", "file_search"] if choice == "both" else [choice]
        return [{"type": kind} for kind in kinds]

    def upload_all(self, client: AssistantsClient, thread: ThreadRecord, user) -> list[dict]:
        """Upload the new files (private to the thread); the message's `attachments`. What went
        up is kept, so a message that then fails is sent again without uploading twice."""
        for uploaded in self.cleaned_data.get("attachments") or []:
            record = upload(client, thread.connection, user, uploaded, thread=thread)
            self.kept.append(record.file_id)
        return [{"file_id": file_id, "tools": self.tools()} for file_id in self.kept]

    @property
    def kept_rows(self) -> list[dict[str, str]]:
        if not self.kept:
            return []
        names = FileRecord.objects.filter(file_id__in=self.kept).values_list("file_id", "filename")
        found = dict(names)
        return [{"id": i, "name": found.get(i) or i} for i in self.kept]


CODE_FILES_MAX = CODE_INTERPRETER_FILES_MAX  # the API's limit on an assistant's file_ids
