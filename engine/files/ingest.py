"""Ingesting a vector store file: extract its text, cut it into chunks, index them.

The slow part (reading and extracting) happens outside any transaction; the chunks and the
final status are written in one transaction fenced by the entry's status and attempt counter,
so a cancel, a removal or a re-add that happened meanwhile wins and nothing stale is written.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from . import embeddings, text
from .extract import ExtractionError, extract
from .models import Chunk, VectorStoreFile

logger = logging.getLogger(__name__)

BATCH = 500  # chunks per INSERT


def chunk_sizes(strategy: dict | None) -> tuple[int, int]:
    static = (strategy or {}).get("static") or {}
    return int(static.get("max_chunk_size_tokens", 800)), int(
        static.get("chunk_overlap_tokens", 400)
    )


def ingest(entry_id: int, attempt: int) -> str:
    """Ingest one vector store file; returns its final status (or "skipped")."""
    entry = (
        VectorStoreFile.objects.select_related("file")
        .filter(pk=entry_id, attempt=attempt, status=VectorStoreFile.IN_PROGRESS)
        .first()
    )
    if entry is None:
        return "skipped"  # cancelled, removed or re-added since it was queued
    try:
        extracted = extract(entry.file.filename, entry.file.read())
        max_tokens, overlap = chunk_sizes(entry.chunking_strategy)
        pieces = text.chunk(extracted, max_tokens=max_tokens, overlap_tokens=overlap)
        vectors = embeddings.embed_documents([p.text for p in pieces])
    except ExtractionError as error:
        return _finish(
            entry, VectorStoreFile.FAILED, {"code": error.code, "message": error.message}
        )
    except FileNotFoundError:
        error = {"code": "invalid_file", "message": "The file's content is missing from storage."}
        return _finish(entry, VectorStoreFile.FAILED, error)
    except Exception:
        logger.exception("Ingestion of %s failed", entry)
        error = {"code": "server_error", "message": "The server failed to process this file."}
        return _finish(entry, VectorStoreFile.FAILED, error)
    rows = []
    for position, piece in enumerate(pieces):
        found = text.terms(piece.text)
        rows.append(
            Chunk(
                vector_store_file_id=entry.pk,
                vector_store_id=entry.vector_store_id,
                file_id=entry.file_id,
                position=position,
                text=piece.text,
                terms=" ".join(found),
                term_count=len(found),
                tokens=piece.tokens,
                embedding=embeddings.pack(vectors[position]) if vectors else None,
            )
        )
    usage = len(extracted.encode()) + sum(len(r.embedding or b"") for r in rows)
    return _finish(entry, VectorStoreFile.COMPLETED, None, rows=rows, text=extracted, usage=usage)


def _finish(
    entry: VectorStoreFile,
    status: str,
    error: dict | None,
    *,
    rows: list[Chunk] | None = None,
    text: str = "",
    usage: int = 0,
) -> str:
    with transaction.atomic():
        won = VectorStoreFile.objects.filter(
            pk=entry.pk, attempt=entry.attempt, status=VectorStoreFile.IN_PROGRESS
        ).update(
            status=status, last_error=error, text=text, usage_bytes=usage, updated_at=timezone.now()
        )
        if not won:
            return "skipped"
        if rows:
            Chunk.objects.bulk_create(rows, batch_size=BATCH)
    entry.vector_store.touch()
    return status
