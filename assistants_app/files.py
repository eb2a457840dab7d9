"""Files and vector stores as the dashboard sees them: uploads through the client, the local
records that say who uploaded what, and who may read, delete or use which file or store.

Rules (the API itself has no notion of people):
- A file in the team library (uploaded on the Files or Vector stores page, or for an
  assistant) may be read and used by every member; its uploader and administrators delete it.
- A file attached to a message, or made by the code interpreter in a chat, belongs to the
  thread: it is as private as the thread, and its owner may delete it.
- A file a thread refers to (a citation, an output) may be read by whoever may open the thread.
- Files and vector stores made outside the dashboard are listed for administrators only: they
  may hold another thread's attachments.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from .models import Connection, FileRecord, ThreadFile, ThreadRecord, deletable
from .services import AssistantsClient, AssistantsError
from .services.types import FileObject

# Purposes a person may choose when uploading (the API's other purposes are for batch and
# fine-tuning jobs, which this dashboard does not run).
UPLOAD_PURPOSES = [
    ("assistants", "Assistants (code interpreter and file search)"),
    ("user_data", "User data"),
    ("vision", "Vision (images for a model to look at)"),
]
OUTPUT_PURPOSE = FileRecord.OUTPUT_PURPOSE  # files the code interpreter wrote
# Raster images a browser may show inline; everything else downloads (an SVG or HTML file
# from a model must never be rendered by the dashboard's origin).
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def max_upload_bytes() -> int:
    return settings.DASHBOARD_FILE_MAX_BYTES


def upload(
    client: AssistantsClient,
    connection: Connection,
    user,
    uploaded: UploadedFile,
    *,
    purpose: str = "assistants",
    thread: ThreadRecord | None = None,
) -> FileRecord:
    """Send one uploaded file to the backend and record who sent it (and for which thread)."""
    uploaded.seek(0)
    content_type = uploaded.content_type or "application/octet-stream"
    created = client.files.create(file=(uploaded.name, uploaded, content_type), purpose=purpose)
    return FileRecord.objects.create(
        connection=connection,
        file_id=created.id,
        filename=created.filename or uploaded.name or "",
        purpose=created.purpose or purpose,
        bytes=created.bytes if created.bytes is not None else uploaded.size,
        uploaded_by=user,
        thread=thread,
    )


def may_read(user, connection: Connection, file_id: str) -> bool:
    return file_id in FileRecord.objects.readable_ids(user, connection, [file_id])


def may_delete(user, connection: Connection, file_id: str) -> bool:
    record = FileRecord.objects.find(connection, file_id)
    return deletable(record, user) and (record is None or may_read(user, connection, file_id))


def library_choices(connection: Connection) -> list[tuple[str, str]]:
    """The team-library files a person may pick for a vector store or an assistant, newest
    first."""
    return [(r.file_id, str(r)) for r in FileRecord.objects.library(connection)[:200]]


def known_names(connection: Connection, file_ids: Iterable[str]) -> dict[str, str]:
    """File names the dashboard already knows (its own records), without asking the backend."""
    wanted = set(file_ids)
    if not wanted:
        return {}
    names = dict(
        ThreadFile.objects.filter(thread__connection=connection, file_id__in=wanted).values_list(
            "file_id", "filename"
        )
    )
    names.update(
        FileRecord.objects.filter(connection=connection, file_id__in=wanted).values_list(
            "file_id", "filename"
        )
    )
    return {key: value for key, value in names.items() if value}


def file_names(
    client: AssistantsClient, connection: Connection, file_ids: Iterable[str]
) -> dict[str, str]:
    """{file_id: filename}: from the local records, else from the backend (else the id)."""
    ids = list(dict.fromkeys(file_ids))
    names = known_names(connection, ids)
    for file_id in ids:
        if file_id not in names:
            try:
                names[file_id] = client.files.retrieve(file_id).filename or file_id
            except AssistantsError:
                names[file_id] = file_id  # deleted, or the backend is away: the id still tells
    return names


def note_outputs(thread: ThreadRecord, names: dict[str, str]) -> None:
    """Files a thread's runs made (images, written files): they belong to the thread."""
    known = set(
        FileRecord.objects.filter(
            connection_id=thread.connection_id, file_id__in=list(names)
        ).values_list("file_id", flat=True)
    )
    FileRecord.objects.bulk_create(
        [
            FileRecord(
                connection_id=thread.connection_id,
                file_id=file_id,
                filename=name[:255],
                purpose=OUTPUT_PURPOSE,
                thread=thread,
            )
            for file_id, name in names.items()
            if file_id not in known
        ],
        ignore_conflicts=True,
    )


def delete_thread_files(client: AssistantsClient, thread: ThreadRecord) -> None:
    """Delete the files that belonged to a chat (attachments, code interpreter outputs) from
    the backend, as the chat goes: left behind, they would outlive their privacy."""
    for file_id in thread.files.values_list("file_id", flat=True):
        # Gone already, or the backend is away: administrators still see it in Files.
        with suppress(AssistantsError):
            client.files.delete(file_id)


# --- Listing --------------------------------------------------------------------------------


def file_rows(user, connection: Connection, files: list[FileObject]) -> list[dict]:
    """One page of backend files as the Files page shows them: only those `user` may read,
    with who uploaded each and where it belongs."""
    ids = [f.id for f in files]
    readable = FileRecord.objects.readable_ids(user, connection, ids)
    records = {
        r.file_id: r
        for r in FileRecord.objects.filter(connection=connection, file_id__in=ids).select_related(
            "uploaded_by", "thread"
        )
    }
    rows = []
    for found in files:
        if found.id not in readable:
            continue
        record = records.get(found.id)
        rows.append(
            {
                "file": found,
                "record": record,
                "by": _by_whom(found, record),
                "thread": record.thread if record else None,
                "can_delete": deletable(record, user),
            }
        )
    return rows


def _by_whom(found: FileObject, record: FileRecord | None) -> str:
    if record is not None and record.uploaded_by is not None:
        return record.uploaded_by.get_username()
    if found.purpose == OUTPUT_PURPOSE:
        return "the code interpreter"
    return "outside the dashboard" if record is None else "someone no longer here"
