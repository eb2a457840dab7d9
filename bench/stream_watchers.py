"""Benchmark: many people watching replies stream at once from the team deployment. Prints
figures; asserts nothing.

It starts the deployment the README documents (gunicorn with uvicorn workers,
dashboard/gunicorn.conf.py, in the production environment) on 127.0.0.1, on a throw-away SQLite
database, or DATABASE_URL if set (use a scratch PostgreSQL database: it adds rows). Then:

1. Connect: N SSE clients each start a run on the demo model and keep reading (at most 50
   starting at the same moment, as people do not all click within the same millisecond). With
   `--through engine` (the default) each creates the run on the engine with `stream: true`;
   with `--through dashboard` each posts a message in its own chat as the page's stream.js does
   (Accept: text/event-stream), so the dashboard relays the engine's stream from the same server
   (two open streams per person). No engine worker runs yet, so every run stays queued and every
   stream stays open.
2. Hold: with all N streams open, the rest of the site is timed for a few seconds.
3. Stream: the engine worker starts; every run executes and every stream must deliver its
   events to the end (`completed` and `[DONE]`, or the dashboard's `done`), while the rest of the
   site is still timed.

"The rest of the site" is, every 0.2 s at once: /healthz, an engine API call
(GET /v1/assistants/{id}) and a signed-in dashboard page (/assistants/, which calls the engine
on the same server over loopback). Errors are any non-200 answer, a stream that breaks, an
`error` (or `fallback`) event, or a stream that ends before its end. The engine's per-key rate
limit is off (one key opens every stream). Bounded in time (--seconds).

Baselines, measured in the same run before the N streams: the rest of the site timed the same
way for a few seconds with no stream open (--idle; each phase's medians are printed as a
multiple of these), and one watcher alone taken through steps 1 and 3 (the N streams' connect
and stream times are printed as a multiple of its, in all and per watcher; both stream times
run from the worker's start, so both include its start-up).

    .venv/bin/python bench/stream_watchers.py [--watchers 500] [--through engine|dashboard]
        [--hold 5] [--idle 5] [--seconds 180]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _common import (
    ROOT,
    free_port,
    percentile,
    production_environment,
    ratio,
    setup_django,
    stop,
    wait_until_up,
)

PASSWORD = "a long bench passphrase"
CREATING_AT_ONCE = 50
PROBE_EVERY = 0.2
WARM_UP_ROUNDS = 5


@dataclass
class Tally:
    connected: int = 0
    open: int = 0
    most_open: int = 0
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    phase: str = "idle"
    latencies: dict[str, list[float]] = field(default_factory=dict)
    probe_errors: list[str] = field(default_factory=list)
    connect_seconds: float = 0.0
    stream_seconds: float = 0.0


class Watched:
    """What a watcher expects of its stream: every event in `wanted` (the line `data: [DONE]`
    counts as the event "[DONE]"; `lacks` names them in an error), and none of `bad` (each an
    error, as said there)."""

    def __init__(self, name: str, wanted: set[str], lacks: str, bad: dict[str, str]) -> None:
        self.name, self.wanted, self.lacks, self.bad = name, wanted, lacks, bad

    async def lacking(self, lines, t: Tally) -> str | None:
        """Read the stream to its end; what it lacked, or None."""
        event, seen = "", set()
        async for line in lines:
            if line.startswith("event: "):
                event = line[7:]
                seen.add(event)
                if event in self.bad:
                    t.errors.append(self.bad[event])
            elif line == "data: [DONE]":
                seen.add("[DONE]")
        return None if self.wanted <= seen else f"{self.lacks} (last {event})"


async def follow(watched: Watched, opened, refusal, gate: asyncio.Semaphore, t: Tally) -> None:
    """Open a stream (`opened`, an async context manager) while holding `gate`, released once it
    is connected, and count it open while it lasts. `refusal(response)` says why the response is
    no stream (or None)."""
    name = watched.name
    released = False
    await gate.acquire()
    try:
        async with opened as response:
            if why := await refusal(response):
                t.errors.append(why)
                return
            t.connected += 1
            t.open += 1
            t.most_open = max(t.most_open, t.open)
            gate.release()
            released = True
            try:
                lacking = await watched.lacking(response.aiter_lines(), t)
            finally:
                t.open -= 1
            if lacking:
                t.errors.append(f"{name} ended without {lacking}")
            else:
                t.completed += 1
    except httpx.HTTPError as error:
        t.errors.append(f"{name}: {type(error).__name__}: {error}")
    finally:
        if not released:
            gate.release()


async def watch(
    client: httpx.AsyncClient, assistant_id: str, number: int, gate: asyncio.Semaphore, t: Tally
) -> None:
    body = {
        "assistant_id": assistant_id,
        "stream": True,
        "thread": {"messages": [{"role": "user", "content": f"Watcher {number}: hello"}]},
    }

    async def refusal(response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {(await response.aread())[:200]!r}"
        return None

    name = f"stream {number}"
    wanted = {"thread.run.completed", "[DONE]"}
    bad = {"error": f"error event in stream {number}"}
    opened = client.stream("POST", "/v1/threads/runs", json=body)
    await follow(Watched(name, wanted, "completed/[DONE]", bad), opened, refusal, gate, t)


async def watch_page(
    client: httpx.AsyncClient, thread_pk: int, headers: dict, gate: asyncio.Semaphore, t: Tally
) -> None:
    """A person posting in their chat as stream.js does, reading the page updates to `done`."""

    async def refusal(response) -> str | None:
        kind = response.headers.get("content-type", "")
        if response.status_code != 200 or not kind.startswith("text/event-stream"):
            return f"HTTP {response.status_code} {kind}"
        return None

    name = f"chat {thread_pk}"
    bad = {"fallback": f"chat {thread_pk}: the stream fell back to polling"}
    url = f"/threads/{thread_pk}/messages/"
    opened = client.stream("POST", url, data={"content": "Hello"}, headers=headers)
    await follow(Watched(name, {"done"}, "done", bad), opened, refusal, gate, t)


def make_chats(count: int, username: str) -> list[int]:
    """`count` chats of `username`, each on a thread of its own on the built-in engine."""
    from django.contrib.auth import get_user_model

    from assistants_app.models import Connection, ThreadRecord
    from assistants_app.services import client_for

    connection = Connection.objects.default()
    api = client_for(connection)
    assistant = api.assistants.create(model="demo", name="Watched in the page")
    owner = get_user_model().objects.get(username=username)
    return [
        ThreadRecord.objects.create(
            connection=connection,
            thread_id=api.threads.create().id,
            owner=owner,
            assistant_id=assistant.id,
            assistant_name=assistant.name,
        ).pk
        for _ in range(count)
    ]


async def probe(client: httpx.AsyncClient, name: str, url: str, headers: dict, t: Tally) -> None:
    started = time.perf_counter()
    try:
        response = await client.get(url, headers=headers)
        ok = response.status_code == 200
        if not ok:
            t.probe_errors.append(f"{name}: HTTP {response.status_code}")
    except httpx.HTTPError as error:
        ok = False
        t.probe_errors.append(f"{name}: {type(error).__name__}")
    if ok:
        t.latencies.setdefault(t.phase, []).append(time.perf_counter() - started)
        t.latencies.setdefault(f"{t.phase} {name}", []).append(time.perf_counter() - started)


# "idle" (nothing open) and "one watcher" are the baselines, timed before the N streams.
PHASES = ["idle", "one watcher", "connect", "hold", "stream"]


def probe_process(url: str, probes: list[tuple], phase, ready, stop, results) -> None:
    """Time the rest of the site from a process of its own, so that the watchers' client work
    (hundreds of streams parsed in the bench's event loop) never counts as server latency.
    `ready` is set once it probes."""
    t = Tally()

    async def loop() -> None:
        # A new connection per request, as a browser's first visit: a kept-alive one that the
        # server closes after 5 idle seconds would fail the next request on a race of our making.
        fresh = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=url, limits=fresh, timeout=60) as client:
            # Untimed first: a web process's first requests (templates, connections) would
            # count against the idle baseline only.
            for _ in range(WARM_UP_ROUNDS):
                await asyncio.gather(
                    *(client.get(u, headers=h) for _, u, h in probes), return_exceptions=True
                )
            ready.set()
            while not stop.is_set():
                t.phase = PHASES[phase.value]
                await asyncio.gather(*(probe(client, *p, t) for p in probes))
                await asyncio.sleep(PROBE_EVERY)

    asyncio.run(loop())
    results.put((t.latencies, t.probe_errors))


def server_threads(master_pid: int) -> list[tuple[int, int, int]]:
    """(pid, threads, RSS MB) of each web worker process (the gunicorn master's children)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid):
            rss = int(fields.get("VmRSS", "0 kB").split()[0]) // 1024
            found.append((int(fields["Pid"]), int(fields["Threads"]), rss))
    return found


async def run(args, url: str, key: str, assistant_id: str, page: dict, chats, env, phase, master):
    """Steps 1 to 3 with `args.watchers` streams. `phase` (shared with the prober) follows the
    steps; None keeps it as it is (the one-watcher baseline)."""
    t = Tally()

    def enter(name: str) -> None:
        t.phase = name
        if phase is not None:
            phase.value = PHASES.index(name)

    enter("connect")
    deadline = time.monotonic() + args.seconds
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    api = {"Authorization": f"Bearer {key}", "OpenAI-Beta": "assistants=v2"}
    timeout = httpx.Timeout(args.seconds, connect=30)
    watchers = httpx.AsyncClient(base_url=url, headers=api, limits=limits, timeout=timeout)
    others = httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout)
    worker = None
    try:
        gate = asyncio.Semaphore(CREATING_AT_ONCE)
        started = time.monotonic()
        if chats:
            streams = [asyncio.create_task(watch_page(others, pk, page, gate, t)) for pk in chats]
        else:
            streams = [
                asyncio.create_task(watch(watchers, assistant_id, n, gate, t))
                for n in range(args.watchers)
            ]
        while t.connected + len(t.errors) < args.watchers and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        t.connect_seconds = time.monotonic() - started
        print(f"  connected {t.connected} of {args.watchers} streams in {t.connect_seconds:.1f} s")
        enter("hold")
        held = time.monotonic()
        await asyncio.sleep(args.hold)
        processes = server_threads(master)
        print(
            f"  held {t.open} open streams for {time.monotonic() - held:.1f} s; web processes "
            + ", ".join(f"pid {p}: {n} threads, {rss} MB" for p, n, rss in processes)
        )
        enter("stream")
        streaming = time.monotonic()
        worker = subprocess.Popen([sys.executable, "manage.py", "engine_worker"], cwd=ROOT, env=env)
        left = max(1.0, deadline - time.monotonic())
        _finished, unfinished = await asyncio.wait(streams, timeout=left)
        for task in unfinished:
            task.cancel()
        if unfinished:
            t.errors.append(f"{len(unfinished)} streams still open at the deadline")
        t.stream_seconds = time.monotonic() - streaming
        print(
            f"  all runs executed and streamed in {t.stream_seconds:.1f} s "
            f"(one engine worker, {os.environ.get('ENGINE_WORKER_THREADS', '8')} threads)"
        )
    finally:
        await watchers.aclose()
        await others.aclose()
        if worker is not None:
            stop(worker)
    return t


def report(t: Tally, watchers: int, one: Tally) -> None:
    print(
        f"  streams: {watchers} opened, {t.connected} connected, at most {t.most_open} open at "
        f"once, {t.completed} complete; errors: {len(t.errors)}"
    )
    for error in t.errors[:5]:
        print(f"    {error}")
    for step, seconds, alone in (
        ("connected", t.connect_seconds, one.connect_seconds),
        ("executed and streamed (from the worker's start)", t.stream_seconds, one.stream_seconds),
    ):
        print(
            f"  {step} in {seconds:.1f} s / one watcher alone ({alone:.1f} s): "
            f"{ratio(seconds, alone)}, per watcher {ratio(seconds / watchers, alone)}"
        )
    print(f"  the rest of the site (3 requests at once every {PROBE_EVERY} s), ms:")
    kinds = ["", " healthz", " engine API", " dashboard page"]
    print(f"    {'':<30}" + "".join(f"{k or ' all':>20}" for k in kinds))
    print(f"    {'phase':<30}" + f"{'n median   p95':>20}" * len(kinds))
    names = {
        "idle": "no stream open (baseline)",
        "connect": "while the streams connect",
        "hold": f"with {t.most_open} streams held open",
        "stream": "while every stream delivers",
    }
    medians: dict[str, float] = {}
    for phase, name in names.items():
        cells = []
        for kind in kinds:
            values = sorted(t.latencies.get(phase + kind, []))
            if not values:
                cells.append(f"{'-':>20}")
                continue
            p95 = percentile(values, 0.95)
            medians[phase + kind] = median = statistics.median(values)
            cells.append(f"{len(values):>5} {median * 1000:>7.0f} {p95 * 1000:>6.0f}")
        print(f"    {name:<30}" + "".join(cells))
    print("    the medians / no stream open's:")
    for phase, name in list(names.items())[1:]:
        cells = [
            ratio(medians.get(phase + kind, 0.0), medians.get("idle" + kind, 0.0)) for kind in kinds
        ]
        print(f"    {name:<30}" + "".join(f"{cell:>20}" for cell in cells))
    print(f"    errors: {len(t.probe_errors)}", *t.probe_errors[:5], sep="\n    ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=500, help="SSE clients at once")
    parser.add_argument(
        "--through",
        choices=["engine", "dashboard"],
        default="engine",
        help="watch the engine's SSE, or the chat page's stream (which relays the engine's)",
    )
    parser.add_argument("--hold", type=float, default=5.0, help="seconds all streams stay open")
    parser.add_argument(
        "--idle", type=float, default=5.0, help="seconds the site is timed with no stream open"
    )
    parser.add_argument("--seconds", type=float, default=180.0, help="give up after this long")
    parser.add_argument("--workers", type=int, default=2, help="web processes (WEB_WORKERS)")
    args = parser.parse_args()

    # One socket per stream, on both sides (the server processes inherit this limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    data_dir = tempfile.mkdtemp(prefix="studio-watchers-bench-")
    port = free_port()
    env = production_environment(
        data_dir, port, WEB_WORKERS=str(args.workers), ENGINE_RATE_LIMIT_REQUESTS="0"
    )
    setup_django(["createcachetable"], ["collectstatic", "--noinput"])
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from assistants_app.roles import set_role
    from engine.models import EngineKey
    from tests.team.test_production import ORIGIN, Person, proxied

    config = ["-m", "gunicorn", "-c", "dashboard/gunicorn.conf.py"]
    web = subprocess.Popen([sys.executable, *config], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz", headers=proxied())
        set_role(get_user_model().objects.create_user("watcher", password=PASSWORD), "member")
        person = Person(url)
        person.request("GET", "/login/")
        person.form("/login/", {"username": "watcher", "password": PASSWORD})
        _, key = EngineKey.issue("bench")
        assistant = httpx.post(
            url + "/v1/assistants",
            json={"model": "demo", "name": "Watched"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        ).json()
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(
            f"{args.watchers} people watching replies stream at once: gunicorn with "
            f"{args.workers} uvicorn workers, {database}, demo model, {os.cpu_count()} cores; "
            f"streams from the {args.through}"
        )
        chats = make_chats(args.watchers + 1, "watcher") if args.through == "dashboard" else []
        cookies = "; ".join(f"{k}={v}" for k, v in person.cookies.items())
        page = {**proxied(), "Origin": ORIGIN, "Cookie": cookies, "X-CSRFToken": person.token()}
        page |= {"HX-Request": "true", "Accept": "text/event-stream"}
        probes = [
            ("healthz", "/healthz", proxied()),
            ("engine API", f"/v1/assistants/{assistant['id']}", {"Authorization": f"Bearer {key}"}),
            ("dashboard page", "/assistants/", {**proxied(), "Cookie": cookies}),
        ]
        spawn = multiprocessing.get_context("spawn")
        phase, stop_probing, results = spawn.Value("i", 0), spawn.Event(), spawn.Queue()
        ready = spawn.Event()
        prober = spawn.Process(
            target=probe_process, args=(url, probes, phase, ready, stop_probing, results)
        )
        prober.start()
        try:
            ready.wait(60)
            time.sleep(args.idle)  # the "idle" phase: the baseline of the rest of the site
            phase.value = PHASES.index("one watcher")
            print("  one watcher alone first, the same way (the baseline):")
            alone = argparse.Namespace(**{**vars(args), "watchers": 1, "hold": 0.0})
            one = asyncio.run(
                run(alone, url, key, assistant["id"], page, chats[:1], env, None, web.pid)
            )
            print(f"  then {args.watchers} watchers:")
            tally = asyncio.run(
                run(args, url, key, assistant["id"], page, chats[1:], env, phase, web.pid)
            )
        finally:
            stop_probing.set()
            latencies, probe_errors = results.get(timeout=120)
            prober.join(30)
        tally.latencies, tally.probe_errors = latencies, probe_errors
        report(tally, args.watchers, one)
    finally:
        stop(web)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
