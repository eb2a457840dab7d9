"""Benchmark of "Waiting for an answer". Prints figures; asserts nothing.

1. The waiting page and the top bar's count fragment with 20 and 200 waiting runs across 50
   threads: median server time (test client) and the number of database queries, which
   should not grow with the number of runs; each time also as a multiple of the same page
   with no waiting run (the baseline, measured first).
2. How soon the count changes on an open page after a run stops on a function call that
   nobody's chat is watching: a poller GETs the count fragment every 500 ms over real HTTP
   (as the top bar does) while a watcher asks the engine directly every 20 ms; the figure is
   the time from the watcher seeing requires_action to the poller seeing the new count.
3. With no page open at all: a run started through the dashboard (a plain form post), and
   the time from the engine's requires_action to the dashboard's record of the waiting run,
   made by the background follower the worker executes.
The delays of 2 and 3 are also multiples of the same runs' own time to reach requires_action
(from their create, or the form post, to the watcher seeing it): the baseline they add to.

gunicorn and the engine's worker on a throw-away SQLite database, DEBUG off, demo model.

    .venv/bin/python bench/waiting.py [--samples 30] [--latency-runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time

import httpx
from _common import free_port, ratio, serve, setup_django, stop, time_page
from pages import configure


def fake_waiting(user, count: int, threads: int) -> None:
    """`count` waiting runs across `threads` threads, as the dashboard records them (real
    engine threads allow one active run each, so these rows are made directly)."""
    from datetime import timedelta

    from django.utils import timezone

    from assistants_app.models import Connection, RunRecord, ThreadRecord, WaitingRun

    connection = Connection.objects.default()
    WaitingRun.objects.all().delete()
    rows = []
    for t in range(threads):
        thread = ThreadRecord.objects.create(
            connection=connection, thread_id=f"thread_bench_{count}_{t}", owner=user,
            assistant_id="asst_bench", assistant_name="Bench", title=f"Bench thread {t}",
        )  # fmt: skip
        for r in range(count // threads):
            record = RunRecord.objects.create(
                thread=thread, run_id=f"run_{count}_{t}_{r}", assistant_id="asst_bench",
                started_by=user, status="requires_action",
            )  # fmt: skip
            function = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
            call = {"id": f"call_{count}_{t}_{r}", "type": "function", "function": function}
            rows.append(
                WaitingRun(
                    run=record,
                    round_id=call["id"],
                    calls=[call],
                    expires_at=timezone.now() + timedelta(minutes=10),
                )
            )
    WaitingRun.objects.bulk_create(rows)


def measure_latency(
    base_url: str, cookie: str, api, assistant, user, runs: int
) -> tuple[list[float], list[float]]:
    """Per run, ms from requires_action to the count changing, and from create to
    requires_action (the baseline)."""
    from assistants_app.models import Connection, RunRecord, ThreadRecord
    from assistants_app.waiting import note_run

    delays, own = [], []
    headers = {"HX-Request": "true", "Cookie": f"sessionid={cookie}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
        for number in range(runs):
            engine_thread = api.threads.create(
                messages=[{"role": "user", "content": f"get_weather city=Town{number}"}]
            )
            thread = ThreadRecord.objects.create(
                connection=Connection.objects.default(), thread_id=engine_thread.id, owner=user,
                assistant_id=assistant.id, title=f"Latency {number}",
            )  # fmt: skip
            before = http.get("/waiting/count/").text.split('data-count="')[1].split('"')[0]
            seen: dict[str, float] = {}
            done = threading.Event()

            def poller(before: str = before, seen: dict = seen, done=done) -> None:
                while not done.is_set():
                    text = http.get("/waiting/count/").text
                    if (
                        'data-count="' in text
                        and text.split('data-count="')[1].split('"')[0] != before
                    ):
                        seen["count"] = time.perf_counter()
                        return
                    done.wait(0.5)

            created = time.perf_counter()
            run = api.threads.runs.create(engine_thread.id, assistant_id=assistant.id)
            record = RunRecord.objects.create(
                thread=thread, run_id=run.id, assistant_id=assistant.id, started_by=user,
                status=run.status,
            )  # fmt: skip
            note_run(record, run)  # as the dashboard does with a run it starts: followed
            watcher = threading.Thread(target=poller)
            watcher.start()
            while (
                api.threads.runs.retrieve(run.id, thread_id=engine_thread.id).status
                != "requires_action"
            ):
                time.sleep(0.02)
            seen["engine"] = time.perf_counter()
            watcher.join(15)
            done.set()
            if "count" in seen:
                delays.append(max(0.0, seen["count"] - seen["engine"]) * 1000)
                own.append((seen["engine"] - created) * 1000)
            api.threads.runs.cancel(run.id, thread_id=engine_thread.id)
    return delays, own


def measure_unwatched(client, api, assistant, user, runs: int) -> tuple[list[float], list[float]]:
    """Runs started by a form post with no page open: ms from requires_action to the WaitingRun
    row, and from the post to requires_action (the baseline)."""
    from assistants_app.models import Connection, RunRecord, ThreadRecord, WaitingRun

    delays, own = [], []
    for number in range(runs):
        thread = ThreadRecord.objects.create(
            connection=Connection.objects.default(), thread_id=api.threads.create().id,
            owner=user, assistant_id=assistant.id, title=f"Unwatched {number}",
        )  # fmt: skip
        posted = time.perf_counter()
        response = client.post(
            f"/threads/{thread.pk}/messages/", {"content": f"get_weather city=Town{number}"}
        )
        assert response.status_code == 302, response.status_code
        record = RunRecord.objects.get(thread=thread)
        engine_at = row_at = None
        deadline = time.perf_counter() + 15
        while (engine_at is None or row_at is None) and time.perf_counter() < deadline:
            now = time.perf_counter()
            if engine_at is None:
                run = api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id)
                if run.status == "requires_action":
                    engine_at = now
            if row_at is None and WaitingRun.objects.filter(run=record).exists():
                row_at = now
            time.sleep(0.02)
        if engine_at is not None and row_at is not None:
            delays.append(max(0.0, row_at - engine_at) * 1000)
            own.append((engine_at - posted) * 1000)
        api.threads.runs.cancel(record.run_id, thread_id=thread.thread_id)
    return delays, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--latency-runs", type=int, default=10)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="bench-waiting-")
    port = free_port()
    env = configure(data_dir, port)
    setup_django(["collectstatic", "--noinput"])
    from django.contrib.auth import get_user_model
    from django.test import Client

    processes = serve(env, port, threads=8)
    try:
        from assistants_app.models import Connection
        from assistants_app.roles import set_role
        from assistants_app.services import client_for

        user = get_user_model().objects.create_user("bench", "bench@example.com", "x" * 20)
        set_role(user, "member")
        client = Client()
        client.force_login(user)

        print("Waiting page and count fragment (server time, test client; x none: a multiple")
        print("of the same with no waiting run, the first row)")
        print(
            f"  {'runs':>5}  {'page ms':>8}  {'queries':>7}  {'x none':>7}"
            f"  {'count ms':>8}  {'queries':>7}  {'x none':>7}"
        )
        none: tuple[float, float] = (0.0, 0.0)
        for count in (0, 20, 200):
            fake_waiting(user, count, threads=50 if count >= 50 else 10)
            client.get("/waiting/")
            page_ms, page_q = time_page(client, "/waiting/", args.samples)
            count_ms, count_q = _time_count(client, args.samples)
            if count == 0:  # the baseline row
                none = (page_ms, count_ms)
            print(
                f"  {count:>5}  {page_ms:>8.1f}  {page_q:>7}  {ratio(page_ms, none[0]):>7}"
                f"  {count_ms:>8.1f}  {count_q:>7}  {ratio(count_ms, none[1]):>7}"
            )

        from assistants_app.models import WaitingRun

        WaitingRun.objects.all().delete()
        api = client_for(Connection.objects.default())
        assistant = api.assistants.create(
            model="demo", name="Bench",
            tools=[{"type": "function", "function": {"name": "get_weather"}}],
        )  # fmt: skip
        cookie = client.cookies["sessionid"].value
        delays, own = measure_latency(
            f"http://127.0.0.1:{port}", cookie, api, assistant, user, args.latency_runs
        )
        print("Count update after a run stops unwatched (poll every 500 ms over HTTP)")
        _print_delays(delays, own, "create", "the count never changed")
        unwatched, own = measure_unwatched(client, api, assistant, user, args.latency_runs)
        print("Waiting run recorded with no page open (background follower in the worker)")
        _print_delays(unwatched, own, "form post", "never recorded")
    finally:
        stop(*processes)


def _print_delays(delays: list[float], own: list[float], start: str, never: str) -> None:
    """Median and max of `delays`, and the median as a multiple of the runs' own time (`own`,
    from `start` to requires_action)."""
    if not delays:
        print(f"  {never}")
        return
    median, baseline = statistics.median(delays), statistics.median(own)
    print(
        f"  {len(delays)} runs: median {median:.0f} ms, max {max(delays):.0f} ms; "
        f"/ the run's own {start} → requires_action ({baseline:.0f} ms): {ratio(median, baseline)}"
    )


def _time_count(client, samples: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], []
    for _ in range(samples):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get("/waiting/count/", HTTP_HX_REQUEST="true")
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        queries.append(len(captured))
    return statistics.median(times) * 1000, max(queries)


if __name__ == "__main__":
    main()
