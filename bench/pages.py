"""Benchmark of the dashboard's chat pages. Prints figures; asserts nothing.

1. The thread page with 10, 100 and 1,000 messages: median server time (the view, including
   its HTTP calls to the engine) and the number of database queries. The page shows the latest
   messages and loads earlier ones on demand, so neither should grow with the thread. Each
   time is also a multiple of /healthz's (a database check, no template), same test client.
2. The run-status fragment (what every open chat polls): requests per second over real HTTP
   with several concurrent viewers of the same run, and how many backend calls they caused
   (at most one per DASHBOARD_RUN_STATUS_TTL, however many watch); its rate is also a multiple
   of /healthz's, polled the same way by as many viewers from the same server.

The built-in engine is served by gunicorn on 127.0.0.1 with its worker, on a throw-away SQLite
database in a temporary directory, with the demo model; DEBUG is off (as in production).

    .venv/bin/python bench/pages.py [--samples 30] [--seconds 5] [--viewers 8]
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from pathlib import Path

import httpx
from _common import arguments, ratio, scratch, serve, setup_django, stop, time_page

HEALTHZ = "/healthz"  # the baseline: the cheapest page the same server answers

OPTIONS = {  # --name: (default, help)
    "samples": (30, "thread page requests per size"),
    "seconds": (5.0, "status fragment duration"),
    "viewers": (8, "concurrent status pollers"),
}


def configure(data_dir: str, port: int) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DATA_DIR": data_dir,
        "PORT": str(port),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "ENGINE_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return {**os.environ, **env}


def thread_with_messages(api, user, assistant, count: int):
    from assistants_app.models import Connection, ThreadRecord

    thread = api.threads.create()
    for number in range(count):
        role = "user" if number % 2 == 0 else "assistant"
        text = f"Message {number}: **some Markdown** with `code` and a [link](https://example.com)."
        api.threads.messages.create(thread.id, role=role, content=text)
    return ThreadRecord.objects.create(
        connection=Connection.objects.default(),
        thread_id=thread.id,
        owner=user,
        assistant_id=assistant.id,
        assistant_name=assistant.name or "",
        title=f"{count} messages",
    )


def measure_thread_page(client, thread, samples: int) -> tuple[float, int]:
    client.get(thread.get_absolute_url())  # warm caches (model list, templates)
    return time_page(client, thread.get_absolute_url(), samples)


def measure_status_rps(base_url: str, cookie: str, url: str, seconds: float, viewers: int):
    done = threading.Event()
    counts = [0] * viewers
    errors: list[str] = []

    def viewer(index: int) -> None:
        headers = {"HX-Request": "true", "Cookie": f"sessionid={cookie}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
            while not done.is_set():
                response = http.get(url, params={"delay": 2000})
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                    return
                counts[index] += 1

    workers = [threading.Thread(target=viewer, args=(i,)) for i in range(viewers)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    done.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"status fragment failed: {errors[0]}")
    return sum(counts) / elapsed, sum(counts)


def main() -> None:
    args = arguments(__doc__, OPTIONS)
    data_dir, port = scratch("bench-pages-")
    env = configure(data_dir, port)

    setup_django(["collectstatic", "--noinput"])
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    processes = serve(env, port, threads=16, access_log=str(Path(data_dir) / "access.log"))
    try:
        base_url = f"http://127.0.0.1:{port}"
        from assistants_app.models import Connection, RunRecord
        from assistants_app.roles import set_role
        from assistants_app.services import client_for
        from tests.support import wait_until

        api = client_for(Connection.objects.default())
        user = get_user_model().objects.create_user("bench", "bench@example.com", "x" * 20)
        set_role(user, "member")  # dashboard pages need a role
        assistant = api.assistants.create(
            model="demo",
            name="Bench",
            tools=[{"type": "function", "function": {"name": "get_weather"}}],
        )
        client = Client()
        client.force_login(user)

        print("Thread page (latest messages shown, earlier ones on demand)")
        client.get(HEALTHZ)
        healthz_ms, healthz_queries = time_page(client, HEALTHZ, args.samples)
        print(f"  {'messages':>9}  {'median ms':>9}  {'queries':>7}  {'x healthz':>10}")
        print(f"  {HEALTHZ:>9}  {healthz_ms:>9.1f}  {healthz_queries:>7}  {'(baseline)':>10}")
        for count in (10, 100, 1000):
            thread = thread_with_messages(api, user, assistant, count)
            median_ms, queries = measure_thread_page(client, thread, args.samples)
            times = ratio(median_ms, healthz_ms)
            print(f"  {count:>9}  {median_ms:>9.1f}  {queries:>7}  {times:>10}")

        # A run waiting on tool outputs stays put while everyone polls its status.
        thread = thread_with_messages(api, user, assistant, 0)
        client.post(f"/threads/{thread.pk}/messages/", {"content": "get_weather city=Paris"})
        record = RunRecord.objects.get(thread=thread)
        wait_until(
            lambda: (
                api.threads.runs.retrieve(record.run_id, thread_id=thread.thread_id).status
                == "requires_action"
            ),
            timeout=30,
            message="the run to wait for tool outputs",
        )
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        url = f"/threads/{thread.pk}/runs/{record.run_id}/status/"
        run_path = f"/v1/threads/{thread.thread_id}/runs/{record.run_id} "
        before = _backend_calls(data_dir, run_path)
        rps, total = measure_status_rps(base_url, cookie, url, args.seconds, args.viewers)
        time.sleep(0.5)  # let gunicorn flush its access log
        print(
            f"Run-status fragment: {rps:.0f} requests/s "
            f"({total} requests from {args.viewers} concurrent viewers in {args.seconds:.0f} s; "
            f"shared status TTL {settings.DASHBOARD_RUN_STATUS_TTL:g} s)"
        )
        calls = _backend_calls(data_dir, run_path) - before
        print(
            f"  backend calls for that run meanwhile: {calls} "
            f"({calls / args.seconds:.1f}/s, whatever the number of viewers)"
        )
        healthz_rps, _ = measure_status_rps(base_url, cookie, HEALTHZ, args.seconds, args.viewers)
        print(
            f"  {HEALTHZ} polled the same way: {healthz_rps:.0f} requests/s; "
            f"the fragment's rate / {HEALTHZ}'s: {ratio(rps, healthz_rps)}"
        )
    finally:
        stop(*processes)
        shutil.rmtree(data_dir, ignore_errors=True)


def _backend_calls(data_dir: str, run_path: str) -> int:
    """GETs of the run on the engine, counted in gunicorn's access log."""
    log = Path(data_dir) / "access.log"
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text().splitlines() if f"GET {run_path}" in line)


if __name__ == "__main__":
    main()
