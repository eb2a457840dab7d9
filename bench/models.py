"""Benchmark of running on real models' providers. Prints figures only; it asserts nothing.

Against the local chat-completions server (tests/fakes/chat_server.py, in this process):

1. The engine's added latency per run: one streamed completion asked of the server directly
   with the official `openai` SDK, next to a streamed run (`runs.create(stream=True)`, as the
   SDK's stream helpers start one) of an assistant on the same model, until `thread.run.completed`
   arrives; both as a caller sees them. The engine runs as `make serve` starts it (gunicorn with
   dashboard/gunicorn.conf.py and one engine_worker) on a throw-away SQLite database; the model
   reaches it through ENGINE_CHAT_BASE_URL, the provider "from the environment".
2. The cost per run of routing (model id → provider record; an alias; an unknown name) and of
   the budget check (no budgets; a budget with a month of runs behind it), called in this
   process on the same database (goal: under 1 ms together).

    .venv/bin/python bench/models.py [--runs 40] [--month-runs 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    ROOT,
    direct_replies,
    engine_environment,
    free_port,
    percentile,
    stop,
    wait_until_up,
)

FAKE_MODEL = "fake-model"


def median_p95(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), percentile(values, 0.95)


def direct(chat_url: str, runs: int) -> list[float]:
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Hello there"},
    ]
    return direct_replies(
        chat_url, FAKE_MODEL, [messages] * runs, stream_options={"include_usage": True}
    )


def through_engine(base: str, key: str, runs: int) -> list[float]:
    from openai import OpenAI

    times = []
    with OpenAI(base_url=base, api_key=key, max_retries=0, timeout=60) as client:
        assistant = client.beta.assistants.create(model=FAKE_MODEL, instructions="Answer briefly.")
        for _ in range(runs):
            thread = client.beta.threads.create(
                messages=[{"role": "user", "content": "Hello there"}]
            )
            started = time.perf_counter()
            stream = client.beta.threads.runs.create(
                thread_id=thread.id, assistant_id=assistant.id, stream=True
            )
            for event in stream:
                if event.event == "thread.run.completed":
                    times.append(time.perf_counter() - started)
                    break
                if event.event in ("thread.run.failed", "thread.run.incomplete", "error"):
                    raise SystemExit(f"a run did not complete: {event.data}")
            stream.close()
    return times


def per_call(function, repeat: int = 2000) -> str:
    """Median microseconds of one call, over `repeat` calls in batches of 50: as the clock
    sees it, and in this process's CPU time (SQLite runs in-process, so that is the check's
    own cost, which a machine shared with other work does not inflate)."""
    batches, cpu = [], []
    for _ in range(repeat // 50):
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(50):
            function()
        batches.append((time.perf_counter() - started) / 50)
        cpu.append((time.process_time() - started_cpu) / 50)
    wall, own = statistics.median(batches) * 1e6, statistics.median(cpu) * 1e6
    return f"{wall:>7.0f} µs {own:>7.0f} µs"


def checks(month_runs: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import Sum
    from django.test import RequestFactory

    from engine import usage
    from engine.models import Assistant, ModelAlias, MonthlyTokens, Run, Thread, TokenBudget
    from engine.providers import ProviderError, route

    route(FAKE_MODEL)  # the environment's provider, made once
    ModelAlias.objects.get_or_create(pattern="gpt-4*", defaults={"target": FAKE_MODEL})

    def unknown() -> None:
        with contextlib.suppress(ProviderError):
            route("nobody-serves-this")

    person = get_user_model().objects.create_user(f"bench-{secrets.token_hex(4)}")
    request = RequestFactory().post("/v1/threads/x/runs", headers={
        usage.PERSON_HEADER: str(person.pk)})  # fmt: skip
    request.engine_key = None
    rows = [
        ("route: a served model id", lambda: route(FAKE_MODEL)),
        ("route: an alias (gpt-4* → fake-model)", lambda: route("gpt-4o")),
        ("route: a name nobody serves (refused)", unknown),
        ("budget check: no budgets at all", lambda: usage.admit(request)),
    ]
    print(f"  {'per run, in-process (same database)':<52} {'median':>10} {'CPU':>10}   goal")
    for label, function in rows:
        print(f"  {label:<52} {per_call(function)}")
    TokenBudget.objects.create(person=person, monthly_tokens=10**12)
    assistant = Assistant.objects.create(model=FAKE_MODEL)
    thread = Thread.objects.create()
    Run.objects.bulk_create(
        Run(
            thread=thread,
            assistant_id=assistant.id,
            model=FAKE_MODEL,
            person=person,
            status="completed",
            tokens=1000,
            usage={"total_tokens": 1000, "prompt_tokens": 900, "completion_tokens": 100},
        )
        for _ in range(month_runs)
    )
    MonthlyTokens.rebuild()  # as the executor would have kept it, run by run
    budget = per_call(lambda: usage.admit(request), repeat=500)
    print(f"  {f'budget check: a budget, {month_runs:,} runs this month':<52} {budget}")
    start, _ = usage.month_bounds()
    month = Run.objects.filter(person=person, created_at__gte=start)
    summed = per_call(lambda: month.aggregate(used=Sum("tokens")), repeat=500)
    print(f"  {'  (summing those runs instead, as before the totals)':<52} {summed}")
    together = per_call(lambda: (route(FAKE_MODEL), usage.admit(request)), repeat=500)
    print(f"  {'route + budget check, together':<52} {together}   < 1000 µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--month-runs", type=int, default=2000)
    args = parser.parse_args()
    from tests.fakes.chat_server import FakeChatServer

    chat = FakeChatServer(models=[FAKE_MODEL])
    chat_url = chat.start()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-models-") as data_dir:
        env = engine_environment(data_dir, port, chat_url, FAKE_MODEL)
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        gunicorn = str(Path(python).with_name("gunicorn"))
        processes = [
            subprocess.Popen(
                [gunicorn, "--config", "dashboard/gunicorn.conf.py", "dashboard.asgi"],
                cwd=ROOT,
                env=env,
            ),
            subprocess.Popen([python, "manage.py", "engine_worker"], cwd=ROOT, env=env),
        ]
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz")
            os.environ.update(env)
            os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
            import django

            django.setup()
            from engine.auth import dashboard_key

            base, key = f"http://127.0.0.1:{port}/v1", dashboard_key()
            direct(chat_url, 5), through_engine(base, key, 5)  # warm both up
            plain = median_p95(direct(chat_url, args.runs))
            engine = median_p95(through_engine(base, key, args.runs))
            print(f"Model providers benchmark: {os.cpu_count()} CPUs, {args.runs} runs each")
            print(f"  {'as the caller sees it':<52} {'median':>10} {'p95':>10}   goal")
            print(f"  {'the chat server directly (streamed completion)':<52} "
                  f"{plain[0] * 1000:>7.1f} ms {plain[1] * 1000:>7.1f} ms")  # fmt: skip
            print(f"  {'a streamed run through the engine':<52} "
                  f"{engine[0] * 1000:>7.1f} ms {engine[1] * 1000:>7.1f} ms")  # fmt: skip
            added = (engine[0] - plain[0]) * 1000
            print(f"  {'the engine adds (difference of medians)':<52} {added:>7.1f} ms"
                  f"{'':>11}   ≤ 10 ms")  # fmt: skip
            print(f"  {'through the engine / directly (ratio of medians)':<52} "
                  f"{engine[0] / plain[0]:>7.2f} x")  # fmt: skip
            checks(args.month_runs)
        finally:
            stop(*processes)
            chat.stop()


if __name__ == "__main__":
    main()
