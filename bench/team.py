"""Benchmark of the team deployment as the README documents it. Prints figures; asserts nothing.

gunicorn with uvicorn workers (dashboard/gunicorn.conf.py) and `manage.py engine_worker`, in the
production environment (DEBUG off, HTTPS behind a proxy, the database cache), on a throw-away
SQLite database (or DATABASE_URL if set, e.g. PostgreSQL), with the demo model. For 1, 4 and
16 people at once, each signs in and then does chat turns (send a message through the page,
poll the run status until the answer): median and 90th-percentile turn time, turns per second.
It also prints the time an engine request takes with and without the per-key rate limiter.

    .venv/bin/python bench/team.py [--turns 5] [--workers 2] [--threads 16]
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from _common import (
    ROOT,
    arguments,
    percentile,
    production_environment,
    scratch,
    setup_django,
    stop,
    wait_until_up,
)

OPTIONS = {  # --name: (default, help)
    "turns": (5, "chat turns per person"),
    "workers": (2, "gunicorn workers"),
    "threads": (16, "threads per gunicorn worker"),
}

PASSWORD = "a long bench passphrase"


def turns(person, username: str, assistant_id: str, count: int) -> list[float]:
    """Sign in, then `count` timed turns (send, poll until the answer); the first message
    starts the chat, as the New chat page does."""
    person.request("GET", "/login/")
    person.form("/login/", {"username": username, "password": PASSWORD})
    thread_url = None
    durations = []
    for number in range(count):
        started = time.perf_counter()
        data = {"content": f"Turn {number}"}
        if thread_url is None:
            data["assistant_id"] = assistant_id
            sent = person.request("POST", "/threads/new/", htmx=True, data=data)
            thread_url = sent.headers["HX-Redirect"]
            page = person.request("GET", thread_url).text  # the new chat's own page
        else:
            page = person.request("POST", f"{thread_url}messages/", htmx=True, data=data).text
        polling = re.search(r'hx-get="(/threads/\d+/runs/run_\w+/status/)', page)
        delay = 0.2  # what the page does: poll from 200 ms, backing off
        while polling and person.request("GET", polling[1], htmx=True).status_code != 286:
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
        durations.append(time.perf_counter() - started)
    return durations


def main() -> None:
    args = arguments(__doc__, OPTIONS)
    data_dir, port = scratch("studio-team-bench-")
    env = production_environment(
        data_dir, port, WEB_WORKERS=str(args.workers), WEB_THREADS=str(args.threads)
    )
    setup_django(["createcachetable"], ["collectstatic", "--noinput"])
    from django.contrib.auth import get_user_model

    from tests.team.test_production import Person, proxied

    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "dashboard/gunicorn.conf.py",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen([sys.executable, "manage.py", "engine_worker"], cwd=ROOT, env=env),
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz", headers=proxied())
        from assistants_app.roles import set_role
        from engine.models import EngineKey

        people = [f"person{n}" for n in range(16)]
        for username in people:
            set_role(get_user_model().objects.create_user(username, password=PASSWORD), "member")
        _, key = EngineKey.issue("bench")
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url + "/v1", headers=auth, timeout=30) as api:
            assistant = api.post("/assistants", json={"model": "demo", "name": "Bench"}).json()

            print(
                f"Chat turns through gunicorn ({args.workers} uvicorn workers) "
                f"and one engine worker, demo model, {args.turns} turns each"
            )
            print(f"  {'people':>6}  {'median s':>8}  {'p90 s':>6}  {'turns/s':>7}")
            for count in (1, 4, 16):
                started = time.perf_counter()
                with ThreadPoolExecutor(count) as pool:
                    results = list(
                        pool.map(
                            lambda name: turns(Person(url), name, assistant["id"], args.turns),
                            people[:count],
                        )
                    )
                elapsed = time.perf_counter() - started
                durations = [d for person in results for d in person]
                print(
                    f"  {count:>6}  {statistics.median(durations):>8.3f}  "
                    f"{percentile(durations, 0.9):>6.3f}  {len(durations) / elapsed:>7.1f}"
                )

        limiter_overhead(key)
    finally:
        stop(*processes)
        shutil.rmtree(data_dir, ignore_errors=True)


def limiter_overhead(raw_key: str) -> None:
    """The per-key rate limiter's cost on each /v1 request, with the deployment's cache."""
    from django.conf import settings
    from django.test import RequestFactory

    from engine import ratelimit
    from engine.models import EngineKey

    request = RequestFactory().get("/v1/assistants")
    request.engine_key = EngineKey.authenticate(raw_key)
    samples = []
    for _ in range(500):
        started = time.perf_counter()
        ratelimit.refused(request)
        samples.append(time.perf_counter() - started)
    print(
        f"Rate limiter: {statistics.median(samples) * 1e6:.0f} µs median per /v1 request "
        f"({settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]})"
    )


if __name__ == "__main__":
    main()
