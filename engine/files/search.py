"""Searching vector stores: lexical by default, hybrid when chunks have embeddings.

1. The query becomes terms (engine.files.text.terms, the normaliser the index was built with).
2. The database's full-text index finds candidate chunks holding any term: SQLite FTS5
   (ranked by bm25) or PostgreSQL's tsvector/GIN (ranked by ts_rank), chosen by
   `connection.vendor`. Both index the same `terms` column, so they find the same chunks.
3. Candidates are scored here, the same way for both databases: BM25 with document
   frequencies from the index, normalised to 0..1 as the IDF-weighted share of the query's terms
   a chunk holds, each saturating with repetition (one mention of every term ≈ 0.67, more → 1).
4. With embeddings (engine.files.embeddings), the score is the mean of that and the cosine
   similarity of query and chunk, and chunks close in meaning but sharing no word are found too.
`score_threshold` then filters, and the best `max_num_results` are returned.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from . import embeddings
from .models import Chunk, VectorStoreFile
from .text import terms

K1 = 0.5  # saturation: how fast repeated mentions stop adding to a term's share
B = 0.75  # length normalisation, as BM25
CANDIDATES = 200  # chunks the index hands over for scoring
# A term in more than this share of all chunks (and more than COMMON_MIN) does not pick
# candidates: it ranks little and the index would walk a long list for it.
COMMON_SHARE = 0.25
COMMON_MIN = 2000
SEMANTIC_CANDIDATES = 200


@dataclass
class Hit:
    chunk_id: int
    vector_store_id: str
    file_id: str
    filename: str
    text: str
    score: float
    attributes: dict[str, Any]

    def api_result(self) -> dict[str, Any]:
        """As /vector_stores/{id}/search returns it."""
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "score": round(self.score, 4),
            "attributes": self.attributes,
            "content": [{"type": "text", "text": self.text}],
        }

    def step_result(self) -> dict[str, Any]:
        """As a file_search run step records it (content shown on request)."""
        return {
            "file_id": self.file_id,
            "file_name": self.filename,
            "score": round(self.score, 4),
            "content": [{"type": "text", "text": self.text}],
        }


# ---------------------------------------------------------------------------------------------
# The database's full-text index


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _Index:
    """One database's full-text index: its query syntax and SQL, the same questions."""

    def match(self, words: list[str]) -> str:
        raise NotImplementedError

    def candidates_sql(self, where: str) -> str:
        """Chunk ids matching the first parameter, within `where`, best first, up to a limit."""
        raise NotImplementedError

    def frequencies(self, words: list[str]) -> dict[str, int]:
        """How many chunks hold each of `words`."""
        raise NotImplementedError

    def candidates(
        self, stores: list[str], words: list[str], entries: list[int] | None, limit: int
    ) -> list[int]:
        where, params = _scope("c", stores, entries)
        rows = _rows(self.candidates_sql(where), [self.match(words), *params, limit])
        return [row[0] for row in rows]


class _SQLite(_Index):
    TABLE = "engine_files_chunk_fts"
    VOCAB = "engine_files_chunk_vocab"

    def match(self, words: list[str]) -> str:
        return " OR ".join(f'"{w}"' for w in words)

    def candidates_sql(self, where: str) -> str:
        # Table names are constants; every value is a placeholder.
        return (
            f"SELECT c.id FROM {self.TABLE} JOIN engine_files_chunk c ON c.id = {self.TABLE}.rowid "  # noqa: S608
            f"WHERE {self.TABLE} MATCH %s AND {where} ORDER BY {self.TABLE}.rank LIMIT %s"
        )

    def frequencies(self, words: list[str]) -> dict[str, int]:
        marks = ", ".join(["%s"] * len(words))
        sql = f"SELECT term, doc FROM {self.VOCAB} WHERE term IN ({marks})"  # noqa: S608
        return dict(_rows(sql, words))


class _PostgreSQL(_Index):
    def match(self, words: list[str]) -> str:
        return " | ".join(f"'{w}'" for w in words)

    def candidates_sql(self, where: str) -> str:
        return (
            "SELECT c.id FROM engine_files_chunk c, to_tsquery('simple', %s) q "  # noqa: S608
            f"WHERE c.terms_tsv @@ q AND {where} ORDER BY ts_rank(c.terms_tsv, q) DESC LIMIT %s"
        )

    def frequencies(self, words: list[str]) -> dict[str, int]:
        parts = " UNION ALL ".join(
            "SELECT %s, count(*) FROM engine_files_chunk "
            "WHERE terms_tsv @@ to_tsquery('simple', %s)"
            for _ in words
        )
        params: list[str] = []
        for word in words:
            params += [word, f"'{word}'"]
        return dict(_rows(parts, params))


def _scope(alias: str, stores: list[str], entries: list[int] | None) -> tuple[str, list[Any]]:
    where = f"{alias}.vector_store_id IN ({', '.join(['%s'] * len(stores))})"
    params: list[Any] = list(stores)
    if entries is not None:
        where += f" AND {alias}.vector_store_file_id IN ({', '.join(['%s'] * len(entries))})"
        params += entries
    return where, params


def index() -> _Index:
    if connection.vendor == "postgresql":
        return _PostgreSQL()
    if connection.vendor == "sqlite":
        return _SQLite()
    raise NotImplementedError(f"file_search needs SQLite or PostgreSQL, not {connection.vendor}")


# ---------------------------------------------------------------------------------------------
# Filters on file attributes (the API's ComparisonFilter / CompoundFilter)


def matches(filters: dict[str, Any] | None, attributes: dict[str, Any] | None) -> bool:
    if not filters:
        return True
    kind = filters.get("type")
    if kind in ("and", "or"):
        results = (matches(f, attributes) for f in filters.get("filters") or [])
        return all(results) if kind == "and" else any(results)
    value = (attributes or {}).get(filters.get("key", ""))
    wanted = filters.get("value")
    try:
        if kind == "eq":
            return value == wanted
        if kind == "ne":
            return value != wanted
        if kind == "in":
            return value in (wanted or [])
        if kind == "nin":
            return value not in (wanted or [])
        if value is None:
            return False
        comparisons: dict[str, Callable[[Any, Any], bool]] = {
            "gt": lambda a, b: a > b,
            "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b,
        }
        return comparisons[kind](value, wanted)
    except (TypeError, KeyError):
        return False  # comparing a number with a string: not a match


# ---------------------------------------------------------------------------------------------
# Searching


def _query_terms(query: str | Iterable[str]) -> list[str]:
    texts = [query] if isinstance(query, str) else list(query)
    ordered: dict[str, None] = {}
    for text in texts:
        for term in terms(text):
            ordered.setdefault(term, None)
    return list(ordered)


def _lexical_scores(
    words: list[str], rows: list[Chunk], frequencies: dict[str, int], total: int
) -> dict[int, float]:
    idf = {
        w: math.log(1 + (total - frequencies.get(w, 0) + 0.5) / (frequencies.get(w, 0) + 0.5))
        for w in words
    }
    # Terms no chunk holds anywhere tell nothing about any chunk; they do not dilute scores.
    weight = sum(v for w, v in idf.items() if frequencies.get(w)) or 1.0
    average = (sum(r.term_count for r in rows) / len(rows)) if rows else 1.0
    scores = {}
    for row in rows:
        counts = Counter(row.terms.split())
        norm = K1 * (1 - B + B * row.term_count / max(average, 1.0))
        share = sum(idf[w] * counts[w] / (counts[w] + norm) for w in words if counts[w])
        scores[row.pk] = share / weight
    return scores


def search(
    stores: list[str],
    query: str | list[str],
    *,
    max_results: int = 10,
    score_threshold: float = 0.0,
    filters: dict[str, Any] | None = None,
) -> list[Hit]:
    """The best chunks of `stores` for `query`, best first, scores in 0..1."""
    words = _query_terms(query)
    if not stores or not words:
        return []
    files = {
        entry.pk: entry
        for entry in VectorStoreFile.objects.filter(
            vector_store_id__in=stores, status=VectorStoreFile.COMPLETED
        ).select_related("file")
        if matches(filters, entry.attributes)
    }
    if not files:
        return []
    entries = list(files) if filters else None
    backend = index()
    frequencies = backend.frequencies(words)
    total = max(Chunk.objects.count(), 1)
    present = sorted((w for w in words if frequencies.get(w)), key=frequencies.__getitem__)
    # Terms in most chunks barely rank anything but make the index walk huge lists: the
    # candidates come from the selective terms (all terms still count in the scores).
    common = max(total * COMMON_SHARE, COMMON_MIN)
    selective = [w for w in present if frequencies[w] <= common] or present[:1]
    ids = backend.candidates(stores, selective, entries, CANDIDATES) if selective else []
    rows = list(Chunk.objects.filter(pk__in=ids).defer("embedding"))
    scores = _lexical_scores(words, rows, frequencies, total)
    vector = embeddings.embed_query(" ".join(query) if isinstance(query, list) else query)
    if vector is not None:
        rows, scores = _hybrid(vector, stores, entries, rows, scores)
    hits = [
        Hit(
            chunk_id=row.pk,
            vector_store_id=row.vector_store_id,
            file_id=row.file_id,
            filename=files[row.vector_store_file_id].file.filename,
            text=row.text,
            score=scores[row.pk],
            attributes=files[row.vector_store_file_id].attributes or {},
        )
        for row in rows
        if row.vector_store_file_id in files and scores.get(row.pk, 0.0) > 0.0
    ]
    hits = [hit for hit in hits if hit.score >= score_threshold]
    hits.sort(key=lambda hit: (-hit.score, hit.chunk_id))
    return hits[:max_results]


def _hybrid(
    vector: list[float],
    stores: list[str],
    entries: list[int] | None,
    rows: list[Chunk],
    lexical: dict[int, float],
) -> tuple[list[Chunk], dict[int, float]]:
    """Mean of the lexical score and the cosine similarity (negative counts as 0), over the
    lexical candidates and the chunks nearest in meaning. A brute-force scan: fine for stores
    of thousands of chunks; larger ones want a vector index."""
    embedded = Chunk.objects.filter(vector_store_id__in=stores, embedding__isnull=False)
    if entries is not None:
        embedded = embedded.filter(vector_store_file_id__in=entries)
    similarity = {
        pk: max(0.0, embeddings.cosine(vector, data))
        for pk, data in embedded.values_list("pk", "embedding").iterator(chunk_size=2000)
    }
    if not similarity:
        return rows, lexical
    nearest = sorted(similarity, key=similarity.get, reverse=True)[:SEMANTIC_CANDIDATES]
    known = {row.pk for row in rows}
    rows = rows + list(Chunk.objects.filter(pk__in=[pk for pk in nearest if pk not in known]))
    scores = {row.pk: (lexical.get(row.pk, 0.0) + similarity.get(row.pk, 0.0)) / 2 for row in rows}
    return rows, scores
