"""Benchmark of the chat sidebar's search (ThreadRecord.objects.matching): prints figures,
asserts nothing.

A team's worth of threads with the messages the dashboard has seen (ThreadMessageIndex, each
message's first INDEX_CHARS characters) on a throw-away database (SQLite unless DATABASE_URL),
then the median time of the sidebar's query (visible to one person, 50 newest matches) for a
word that is rare, one that is common, and two words.

Baselines, measured in the same run: the sidebar's list with no search (the same query without
the match), and the same searches when a tenth of the threads were made (a 10x-smaller index),
which says how the search grows with the rows.

    .venv/bin/python bench/thread_search.py [--people 20] [--threads 100] [--messages 30]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time

from _common import free_port, production_environment, ratio, setup_django

WORDS = [
    *("budget", "plan", "travel", "lisbon", "porto", "invoice", "order", "weather", "report"),
    *("quarter", "team", "meeting", "agenda", "code", "python", "error", "deploy", "server"),
    *("database", "customer", "refund", "shipping", "delivery", "price", "offer"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--threads", type=int, default=100, help="per person (10 or more)")
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


QUERIES = ("zanzibar", "invoice", "porto refund")


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model

    from assistants_app.models import ThreadMessageIndex, ThreadRecord

    rng = random.Random(7)
    people = [
        get_user_model().objects.create_user(f"person{i}", password="x") for i in range(args.people)
    ]
    viewer, tenth = people[0], args.threads // 10
    started = time.perf_counter()
    make_threads(people, range(tenth), args.messages, rng)
    few_rows = ThreadMessageIndex.objects.count()
    print(f"A tenth first ({few_rows} indexed messages), the baseline of the growth:")
    few = {query: time_search(viewer, query, args.samples)[0] for query in QUERIES}
    for query, median in few.items():
        print(f"  search {query!r:16} median {median:7.1f} ms")
    make_threads(people, range(tenth, args.threads), args.messages, rng)
    rows = ThreadMessageIndex.objects.count()
    made = time.perf_counter() - started
    print(
        f"{ThreadRecord.objects.count()} threads, {rows} indexed messages "
        f"(about {rows * 1000 // 1_000_000} MB of text), made in {made:.0f} s"
    )
    listed = time_search(viewer, "", args.samples)[0]
    print(f"  no search (the sidebar's list)  median {listed:7.1f} ms  (baseline)")
    grown = f"rows x {rows / few_rows:.0f}" if few_rows else "rows x -"
    for query in QUERIES:
        median, found = time_search(viewer, query, args.samples)
        print(
            f"  search {query!r:16} median {median:7.1f} ms  ({found} shown); "
            f"/ no search: {ratio(median, listed)}; {grown}: {ratio(median, few[query])}"
        )


def make_threads(people: list, numbers: range, messages: int, rng: random.Random) -> None:
    """Threads `numbers` of each of `people` (every tenth shared with the team), with
    `messages` indexed messages each; a rare word in about one message in a thousand."""
    from django.db import transaction

    from assistants_app.models import Connection, ThreadMessageIndex, ThreadRecord
    from assistants_app.search_models import INDEX_CHARS

    connection = Connection.objects.default()
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
                for t in numbers
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
                for m in range(messages)
            )


def time_search(viewer, query: str, samples: int) -> tuple[float, int]:
    """Median ms of the sidebar's threads for `query` ("": the list with no search), and how
    many it shows."""
    from assistants_app.chat_sidebar import Sidebar

    times, found = [], 0
    for _ in range(samples):
        began = time.perf_counter()
        found = len(Sidebar(viewer, query).threads)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), found


if __name__ == "__main__":
    main()
