"""Benchmark of the chat sidebar's search (ThreadRecord.objects.matching): prints figures,
asserts nothing.

A team's worth of threads with the messages the dashboard has seen (ThreadMessageIndex, each
message's first INDEX_CHARS characters) on a throw-away database (SQLite unless DATABASE_URL),
then the median time of the sidebar's query (visible to one person, 50 newest matches) for a
word that is rare, one that is common, and two words.

    .venv/bin/python bench/thread_search.py [--people 20] [--threads 100] [--messages 30]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time

from _common import free_port, production_environment, setup_django

WORDS = [
    *("budget", "plan", "travel", "lisbon", "porto", "invoice", "order", "weather", "report"),
    *("quarter", "team", "meeting", "agenda", "code", "python", "error", "deploy", "server"),
    *("database", "customer", "refund", "shipping", "delivery", "price", "offer"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--threads", type=int, default=100, help="per person")
    parser.add_argument("--messages", type=int, default=30, help="per thread")
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="bench-search-")
    try:
        production_environment(data_dir, free_port())
        setup_django()
        run(args)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from assistants_app.chat_sidebar import Sidebar
    from assistants_app.models import Connection, ThreadMessageIndex, ThreadRecord
    from assistants_app.search_models import INDEX_CHARS

    rng = random.Random(7)
    connection = Connection.objects.default()
    people = [
        get_user_model().objects.create_user(f"person{i}", password="x") for i in range(args.people)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        for person in people:
            threads = ThreadRecord.objects.bulk_create(
                ThreadRecord(
                    connection=connection,
                    thread_id=f"thread_{person.pk}_{t}",
                    owner=person,
                    assistant_id="asst_bench",
                    title=" ".join(rng.choices(WORDS, k=4)),
                    sharing="team_read" if t % 10 == 0 else "private",
                )
                for t in range(args.threads)
            )
            ThreadMessageIndex.objects.bulk_create(
                ThreadMessageIndex(
                    thread=thread,
                    message_id=f"msg_{thread.pk}_{m}",
                    role="user" if m % 2 == 0 else "assistant",
                    text=" ".join(rng.choices(WORDS, k=150))[:INDEX_CHARS]
                    + (" zanzibar" if rng.random() < 0.001 else ""),
                )
                for thread in threads
                for m in range(args.messages)
            )
    rows = ThreadMessageIndex.objects.count()
    made = time.perf_counter() - started
    print(
        f"{ThreadRecord.objects.count()} threads, {rows} indexed messages "
        f"(about {rows * 1000 // 1_000_000} MB of text), made in {made:.0f} s"
    )
    viewer = people[0]
    for query in ("zanzibar", "invoice", "porto refund"):
        times = []
        for _ in range(args.samples):
            began = time.perf_counter()
            found = len(Sidebar(viewer, query).threads)
            times.append((time.perf_counter() - began) * 1000)
        print(f"  search {query!r:16} median {statistics.median(times):7.1f} ms  ({found} shown)")


if __name__ == "__main__":
    main()
