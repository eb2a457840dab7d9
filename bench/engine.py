"""Benchmark of the built-in engine (engine/). Prints figures only; it asserts nothing.

It starts its own web server and engine worker (two processes, as `make run` does) on
127.0.0.1 with a throw-away SQLite database, and a local chat-completions server
(tests/fakes/chat_server.py) in this process. Clients are the official `openai` SDK.

1. Latency with the demo model: the median time from the start of `runs.create` to the moment
   the worker marked the run in_progress, and to the moment it marked it completed (the
   engine's own timestamps, read from its database; this process waits by watching the
   database, so no polling interval is added). Goal: create→completed under 150 ms.
2. Throughput: completed runs per second with 1, 8 and 32 concurrent clients, each creating a
   thread-and-run and waiting for it to complete before the next.
3. Overhead over the model: the median time of one streamed chat completion asked of the
   local chat-completions server directly, next to the median create→completed of a run on
   the engine whose model is served by that same server (ratio).

    .venv/bin/python bench/engine.py [--runs 60] [--seconds 6] [--server runserver|gunicorn]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from _common import ROOT, free_port, stop, wait_until_up

SECRET = secrets.token_urlsafe(50)
FAKE_MODEL = "fake-model"


@contextmanager
def engine(data_dir: str, chat_url: str, server: str) -> Iterator[str]:
    """Web server + engine worker on a fresh SQLite database; yields the /v1 base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": data_dir,
        "DEBUG": "false",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "ENGINE_CHAT_BASE_URL": chat_url,
        "ENGINE_CHAT_MODELS": FAKE_MODEL,
        "ENGINE_CHAT_MAX_RETRIES": "0",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    if server == "gunicorn":
        command = [str(Path(python).with_name("gunicorn")), "dashboard.wsgi",
                   "-b", f"127.0.0.1:{port}", "-k", "gthread", "--threads", "16",
                   "--log-level", "warning"]  # fmt: skip
    else:
        command = [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    web = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([python, "manage.py", "engine_worker"], cwd=ROOT, env=env)
    os.environ.update(env)  # this process reads the same database (django.setup below)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        yield base
    finally:
        stop(worker, web, timeout=15)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


class Watcher:
    """Notices finished runs by watching the engine's database: one query every 2 ms for all
    the runs being waited on, so waiting clients cost the machine next to nothing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[str, threading.Event] = {}
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        from engine.models import Run

        while self.running:
            with self.lock:
                ids = list(self.pending)
            if ids:
                done = Run.objects.filter(pk__in=ids, status__in=Run.TERMINAL)
                for run_id in done.values_list("pk", flat=True):
                    with self.lock:
                        self.pending.pop(run_id).set()
            time.sleep(0.002)

    def wait(self, run_id: str, timeout: float = 60.0):
        from engine.models import Run

        event = threading.Event()
        with self.lock:
            self.pending[run_id] = event
        if not event.wait(timeout):
            raise TimeoutError(f"run {run_id} did not finish")
        return Run.objects.get(pk=run_id)

    def stop(self) -> None:
        self.running = False
        self.thread.join()


watcher: Watcher | None = None


def wait_finished(run_id: str):
    assert watcher is not None
    return watcher.wait(run_id)


def latency(client, assistant_id: str, runs: int) -> tuple[list[float], list[float]]:
    to_progress, to_done = [], []
    for number in range(runs):
        thread = client.beta.threads.create(
            messages=[{"role": "user", "content": f"Question number {number}, please."}]
        )
        start = time.time()
        run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id)
        done = wait_finished(run.id)
        assert done.status == "completed", (done.status, done.last_error)
        to_progress.append(_seconds(done.started_at) - start)
        to_done.append(_seconds(done.completed_at) - start)
    return to_progress, to_done


def throughput(base: str, key: str, assistant_id: str, clients: int, seconds: float) -> float:
    from openai import OpenAI

    stop = time.monotonic() + seconds
    completed = [0] * clients

    def client_loop(slot: int) -> None:
        with OpenAI(base_url=base, api_key=key, max_retries=0, timeout=60) as client:
            while time.monotonic() < stop:
                run = client.beta.threads.create_and_run(
                    assistant_id=assistant_id,
                    thread={"messages": [{"role": "user", "content": "Hello there"}]},
                )
                if wait_finished(run.id).status == "completed":
                    completed[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(completed) / (time.monotonic() - started)


def direct_model(chat_url: str, runs: int) -> list[float]:
    from openai import OpenAI

    times = []
    with OpenAI(base_url=chat_url, api_key="sk-bench", max_retries=0) as client:
        for number in range(runs):
            start = time.perf_counter()
            stream = client.chat.completions.create(
                model=FAKE_MODEL,
                messages=[{"role": "user", "content": f"Question number {number}, please."}],
                stream=True,
            )
            for _ in stream:
                pass
            times.append(time.perf_counter() - start)
    return times


def ms(values: list[float]) -> str:
    p90 = sorted(values)[int(len(values) * 0.9)]
    return f"{statistics.median(values) * 1000:7.1f} ms (p90 {p90 * 1000:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="runs per latency figure")
    parser.add_argument("--seconds", type=float, default=6.0, help="per throughput figure")
    parser.add_argument("--server", choices=["runserver", "gunicorn"], default="runserver")
    args = parser.parse_args()

    from tests.fakes.chat_server import FakeChatServer

    chat = FakeChatServer(models=[FAKE_MODEL])
    chat_url = chat.start()
    with (
        tempfile.TemporaryDirectory(prefix="bench-engine-") as data_dir,
        engine(data_dir, chat_url, args.server) as base,
    ):
        os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
        import django

        django.setup()
        global watcher
        watcher = Watcher()
        from openai import OpenAI

        from engine.auth import dashboard_key

        key = dashboard_key()
        with OpenAI(base_url=base, api_key=key, max_retries=0, timeout=60) as client:
            demo = client.beta.assistants.create(
                model="demo", name="Bench", instructions="Answer briefly."
            )
            remote = client.beta.assistants.create(model=FAKE_MODEL, name="Bench remote")
            latency(client, demo.id, 5)  # warm up both processes
            print(f"Engine benchmark: {args.server} + engine_worker, SQLite, "
                      f"{os.cpu_count()} CPUs, {args.runs} runs per latency figure")  # fmt: skip
            to_progress, to_done = latency(client, demo.id, args.runs)
            print(f"  demo model, runs.create → in_progress   median {ms(to_progress)}")
            print(f"  demo model, runs.create → completed     median {ms(to_done)}"
                      f"   (goal < 150 ms)")  # fmt: skip
            direct_model(chat_url, 5)
            direct = direct_model(chat_url, args.runs)
            latency(client, remote.id, 5)
            _, via_engine = latency(client, remote.id, args.runs)
            print(f"  chat-completions server directly        median {ms(direct)}")
            print(f"  same model through the engine           median {ms(via_engine)}")
            ratio = statistics.median(via_engine) / statistics.median(direct)
            extra = (statistics.median(via_engine) - statistics.median(direct)) * 1000
            print(f"  engine overhead: ratio {ratio:.1f}x, +{extra:.1f} ms per run")
            for clients in (1, 8, 32):
                rate = throughput(base, key, demo.id, clients, args.seconds)
                print(f"  throughput, {clients:2d} concurrent clients       "
                          f"{rate:7.1f} completed runs/s")  # fmt: skip
        watcher.stop()
    chat.stop()


if __name__ == "__main__":
    main()
