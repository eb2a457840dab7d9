"""Benchmark of files and vector stores (engine/files). Prints figures only.

1. Ingestion throughput: text, PDF and Word files are extracted, chunked (auto: 800 tokens,
   400 overlap) and indexed exactly as the background task does (engine.files.ingest), on a
   throw-away SQLite database; MB/s of file bytes and chunks/s.
2. Search latency: the median and 95th percentile of `engine.files.search.search` (full-text
   candidates, BM25 scoring, best 10) for queries of 2 to 5 words, on a store of 1,000 chunks and
   one of 100,000. Chunks for these stores are written straight into the table (the index is
   kept by the same triggers); building 100,000 chunks by ingestion would take minutes and is
   what part 1 measures.

    .venv/bin/python bench/files.py [--megabytes 8] [--small 1000] [--large 100000]
                                    [--queries 200]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VOCABULARY = 20_000
WORDS_PER_CHUNK = 150  # ≈ 200 tokens


def _setup(data_dir: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DATA_DIR": data_dir,
            "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite3",
            "DEBUG": "false",  # no SQL logging in the measured code
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ENGINE_EMBEDDINGS": "off",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        words["".join(rng.choices(letters, k=rng.randint(3, 10)))] = None
    ranked = list(words)
    # Zipf's law, as in natural text: the word of rank r appears about 1/r as often.
    cumulative, total = [], 0.0
    for rank in range(1, len(ranked) + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return ranked, cumulative


def _prose(rng: random.Random, vocabulary: tuple[list[str], list[float]], words: int) -> str:
    ranked, cumulative = vocabulary
    picked = rng.choices(ranked, cum_weights=cumulative, k=words)
    sentences = [" ".join(picked[i : i + 12]).capitalize() + "." for i in range(0, words, 12)]
    return "\n".join(" ".join(sentences[i : i + 8]) for i in range(0, len(sentences), 8))


def ingestion(rng: random.Random, vocabulary: tuple[list[str], list[float]], megabytes: float):
    from django.core.files.base import ContentFile

    from engine.files.ingest import ingest
    from engine.files.models import File, VectorStore, VectorStoreFile
    from tests.files.documents import docx, pdf

    def make(kind: str, size: int) -> bytes:
        text = _prose(rng, vocabulary, max(50, size // 7))
        if kind == ".pdf":
            return pdf(text.splitlines()[:60])  # a page of text; many pages follow as files
        if kind == ".docx":
            return docx(text.splitlines())
        return text.encode()

    plans = {
        ".txt": (megabytes, 256 * 1024),
        ".pdf": (megabytes / 8, 0),
        ".docx": (megabytes / 4, 64 * 1024),
    }
    print(f"Ingestion (extract + chunk 800/400 + index), SQLite, {megabytes:g} MB of text")
    for kind, (target_mb, piece) in plans.items():
        store = VectorStore.objects.create(name=f"bench {kind}")
        files = []
        total = 0
        while total < target_mb * 1024 * 1024:
            data = make(kind, piece or 4096)
            total += len(data)
            files.append(
                File.store(
                    filename=f"f{len(files)}{kind}",
                    purpose="assistants",
                    upload=ContentFile(data, name="x"),
                )
            )
        entries = store.add_files(files, enqueue=False)
        started = time.perf_counter()
        for entry in entries:
            assert ingest(entry.pk, entry.attempt) == VectorStoreFile.COMPLETED
        elapsed = time.perf_counter() - started
        chunks = sum(e.chunks.count() for e in entries)
        print(
            f"  {kind:5} {len(files):4} files  {total / 1e6:7.2f} MB  {chunks:7} chunks  "
            f"{total / 1e6 / elapsed:7.2f} MB/s  {chunks / elapsed:8.0f} chunks/s"
        )


def build_store(rng, vocabulary, chunks: int, name: str) -> str:
    from django.core.files.base import ContentFile
    from django.db import transaction

    from engine.files.models import Chunk, File, VectorStore, VectorStoreFile
    from engine.files.text import stem

    stems = {w: stem(w) for w in vocabulary[0]}
    store = VectorStore.objects.create(name=name)
    per_file = 1000
    started = time.perf_counter()
    for first in range(0, chunks, per_file):
        found = File.store(
            filename=f"{name}-{first}.txt",
            purpose="assistants",
            upload=ContentFile(b"synthetic", name="x"),
        )
        entry = VectorStoreFile.objects.create(
            vector_store=store, file=found, status=VectorStoreFile.COMPLETED
        )
        rows = []
        for position in range(min(per_file, chunks - first)):
            text = _prose(rng, vocabulary, WORDS_PER_CHUNK)
            terms = [stems[w.strip(".").lower()] for w in text.split()]
            rows.append(
                Chunk(
                    vector_store_file=entry,
                    vector_store_id=store.pk,
                    file_id=found.pk,
                    position=position,
                    text=text,
                    terms=" ".join(terms),
                    term_count=len(terms),
                    tokens=WORDS_PER_CHUNK * 4 // 3,
                )
            )
        with transaction.atomic():
            Chunk.objects.bulk_create(rows, batch_size=1000)
    print(f"  built {name}: {chunks} chunks in {time.perf_counter() - started:.1f} s")
    return store.pk


def latency(rng, vocabulary, store_id: str, queries: int) -> tuple[float, float, float]:
    from engine.files.search import search

    ranked = vocabulary[0]
    timings, hits = [], 0
    for _ in range(queries):
        # Words people search for: past the 50 most frequent (which act as the stop words of
        # Zipfian text), mostly among the next few thousand, and one fairly common word.
        count = rng.randint(2, 5)
        words = [ranked[rng.randint(50, 5000)] for _ in range(count - 1)]
        words.append(ranked[rng.randint(0, 200)])
        started = time.perf_counter()
        found = search([store_id], " ".join(words), max_results=10)
        timings.append((time.perf_counter() - started) * 1000)
        hits += len(found)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return statistics.median(timings), p95, hits / queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=8.0)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="bench-files-") as data_dir:
        _setup(data_dir)
        vocabulary = _vocabulary(rng)
        ingestion(rng, vocabulary, args.megabytes)
        print(f"Search latency (best 10 of {args.queries} queries of 2 to 5 words), SQLite FTS5")
        for size in (args.small, args.large):
            store_id = build_store(rng, vocabulary, size, f"store-{size}")
            latency(rng, vocabulary, store_id, 10)  # warm the page cache
            median, p95, hits = latency(rng, vocabulary, store_id, args.queries)
            print(
                f"  {size:7} chunks: median {median:6.1f} ms  p95 {p95:6.1f} ms  "
                f"({hits:.1f} results a query)"
            )


if __name__ == "__main__":
    main()
