"""Benchmark of the dashboard's API client (assistants_app/services). Prints figures only.

1. Per-call overhead: the median time of `client.threads.runs.retrieve(...)` (headers, retry
   wrapper, pydantic parsing into a `Run`) next to a bare `httpx.Client.get(...).json()` of the
   same URL, against a small local HTTP/1.1 keep-alive server. Goal: ratio <= 1.3.
2. Run-finish detection: against the built-in engine (served by gunicorn on 127.0.0.1 with its
   worker, on a throw-away SQLite database, demo model), the median delay between the moment
   the engine marks a run completed and the moment `runs.poll` returns it, next to the official
   SDK's `runs.create_and_poll` on the same engine. Goal: ours at least 5x shorter.

    .venv/bin/python bench/client.py [--calls 2000] [--runs 40]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from _common import ROOT, free_port, stop, wait_until_up

from assistants_app.services import AssistantsClient

RUN = {
    "id": "run_abc123",
    "object": "thread.run",
    "created_at": 1699075072,
    "assistant_id": "asst_abc123",
    "thread_id": "thread_abc123",
    "status": "completed",
    "started_at": 1699075072,
    "expires_at": None,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": 1699075073,
    "required_action": None,
    "last_error": None,
    "model": "gpt-4o",
    "instructions": "You are a helpful assistant.",
    "incomplete_details": None,
    "tools": [{"type": "code_interpreter"}],
    "tool_resources": {},
    "metadata": {},
    "usage": {"prompt_tokens": 123, "completion_tokens": 456, "total_tokens": 579},
    "temperature": 1.0,
    "top_p": 1.0,
    "max_prompt_tokens": 1000,
    "max_completion_tokens": 1000,
    "truncation_strategy": {"type": "auto", "last_messages": None},
    "response_format": "auto",
    "tool_choice": "auto",
    "parallel_tool_calls": True,
}


# -- 1. overhead --------------------------------------------------------------------------------


class _RunHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real backend
    body = json.dumps(RUN).encode()
    # One write per response, and no Nagle: otherwise delayed ACKs add 40 ms to random calls.
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.wfile.write(self.answer)

    def log_message(self, *args: object) -> None:
        pass


def overhead(calls: int) -> tuple[float, float]:
    """Median seconds per call: (bare httpx, AssistantsClient)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RunHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    headers = {"Authorization": "Bearer sk-bench", "OpenAI-Beta": "assistants=v2"}
    bare = httpx.Client(headers=headers)
    ours = AssistantsClient(base_url=base, api_key="sk-bench")
    url = f"{base}/threads/thread_abc123/runs/run_abc123"

    def bare_call() -> object:
        return bare.get(url).json()

    def our_call() -> object:
        return ours.threads.runs.retrieve("run_abc123", thread_id="thread_abc123")

    for _ in range(200):  # warm up connections and caches
        bare_call()
        our_call()
    bare_times, our_times = [], []
    for _ in range(calls):  # interleaved, so drift hits both alike
        start = time.perf_counter()
        bare_call()
        bare_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        our_call()
        our_times.append(time.perf_counter() - start)
    server.shutdown()
    return statistics.median(bare_times), statistics.median(our_times)


# -- 2. run-finish detection ---------------------------------------------------------------------


@contextmanager
def engine(data_dir: str):
    """The project served by gunicorn (gthread) plus the engine's worker, on a fresh SQLite."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-client-secret-key-not-for-production-0123456789",
        "DATA_DIR": data_dir,
        "DATABASE_URL": f"sqlite:///{data_dir}/db.sqlite3",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ENGINE_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    gunicorn = Path(python).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "dashboard.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
         "--threads", "8", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    worker = subprocess.Popen([python, "manage.py", "engine_worker"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz")
        os.environ.update(env)  # the same settings here, to read the engine's own timestamps
        import django

        django.setup()
        from engine.auth import dashboard_key

        yield f"{base}/v1", dashboard_key()
    finally:
        stop(worker, server)


def engine_times(run_id: str) -> tuple[float, float]:
    """When the engine created the run and marked it finished (from its own database)."""
    from engine.models import Run

    run = Run.objects.get(pk=run_id)
    return run.created_at.timestamp(), run.completed_at.timestamp()


def detection(runs: int) -> dict[str, list[float]]:
    from openai import OpenAI

    delays: dict[str, list[float]] = {"ours": [], "sdk": [], "run": []}
    with tempfile.TemporaryDirectory() as data_dir, engine(data_dir) as (base_url, key):
        ours = AssistantsClient(base_url=base_url, api_key=key)
        sdk = OpenAI(base_url=base_url, api_key=key)
        assistant = ours.assistants.create(model="demo", instructions="You are a bench.")
        for number in range(runs + 2):  # the first two warm up both clients
            for name in ("ours", "sdk"):
                thread = ours.threads.create(messages=[{"role": "user", "content": f"hi {number}"}])
                if name == "ours":
                    started = ours.threads.runs.create(thread.id, assistant_id=assistant.id)
                    run = ours.threads.runs.poll(started.id, thread_id=thread.id, poll_timeout=60)
                else:
                    run = sdk.beta.threads.runs.create_and_poll(
                        thread_id=thread.id, assistant_id=assistant.id
                    )
                returned = time.time()
                assert run.status == "completed", run.status
                if number >= 2:
                    created, finished = engine_times(run.id)
                    delays[name].append(returned - finished)
                    delays["run"].append(finished - created)
    return delays


def quartiles(values: list[float]) -> str:
    low, _, high = statistics.quantiles(values, n=4)
    return f"quartiles {low * 1e3:.1f} to {high * 1e3:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()

    bare, ours = overhead(args.calls)
    print(f"per-call time, median of {args.calls} calls against a local server:")
    print(f"  bare httpx.Client           {bare * 1e6:8.0f} µs")
    print(f"  AssistantsClient            {ours * 1e6:8.0f} µs")
    print(f"  overhead ratio              {ours / bare:8.2f}   (goal <= 1.3)")

    delays = detection(args.runs)
    mine, theirs = statistics.median(delays["ours"]), statistics.median(delays["sdk"])
    print(f"\nrun finished -> poll returned, median of {args.runs} demo-model runs each:")
    print(f"  AssistantsClient runs.poll   {mine * 1e3:8.1f} ms   {quartiles(delays['ours'])}")
    print(f"  openai SDK create_and_poll   {theirs * 1e3:8.1f} ms   {quartiles(delays['sdk'])}")
    print(f"  ours shorter by              {theirs / mine:8.1f}x  (goal >= 5x)")
    print(f"  (a run took {statistics.median(delays['run']) * 1e3:.0f} ms from creation to finish)")


if __name__ == "__main__":
    main()
