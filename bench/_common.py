"""What the benchmarks share: the project on sys.path, a free port, waiting for a server to answer,
Django set up on the throw-away database, timing a dashboard page, stopping what was started."""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, *, headers: dict | None = None, timeout: float = 30.0) -> None:
    """Until `url` answers 200 (a server just started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, headers=headers, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {url} did not start")


def production_environment(data_dir: str, port: int, **extra: str) -> dict[str, str]:
    """The deployment's production settings on a throw-away data directory and database (or
    DATABASE_URL), `extra` added; set in this process too (for setup_django) and returned whole
    for the server's processes."""
    from tests.test_deploy_check import PRODUCTION_ENV

    env = {
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATA_DIR": data_dir,
        "STATIC_ROOT": str(Path(data_dir) / "static"),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{data_dir}/db.sqlite3"),
        "PORT": str(port),
        "WEB_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    os.environ.update(env)
    return {**os.environ, **env}


def engine_environment(data_dir: str, port: int, chat_url: str, chat_model: str) -> dict[str, str]:
    """The environment of a benchmark's own deployment on 127.0.0.1:`port`: this process's,
    with a throw-away data directory, DEBUG off and `chat_model` served by `chat_url`. The
    request limit is off: benchmark clients share one key, and its limit would be measured."""
    return {
        **os.environ,
        "DATA_DIR": data_dir,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "WEB_ACCESS_LOG": "",
        "BIND": f"127.0.0.1:{port}",
        "PORT": str(port),
        "ENGINE_CHAT_BASE_URL": chat_url,
        "ENGINE_CHAT_MODELS": chat_model,
        "ENGINE_CHAT_MAX_RETRIES": "0",
        "ENGINE_RATE_LIMIT_REQUESTS": "0",
    }


def direct_replies(
    chat_url: str, model: str, conversations: list[list[dict[str, str]]], **options: Any
) -> list[float]:
    """Seconds each conversation's streamed completion took, asked of the chat server at
    `chat_url` directly (what a run on that server is compared with)."""
    from openai import OpenAI

    times = []
    with OpenAI(base_url=chat_url, api_key="sk-bench", max_retries=0) as client:
        for messages in conversations:
            started = time.perf_counter()
            stream = client.chat.completions.create(
                model=model, messages=messages, stream=True, **options
            )
            for _chunk in stream:
                pass
            times.append(time.perf_counter() - started)
    return times


def setup_django(*commands: list[str]) -> None:
    """django.setup() with the environment already set, then migrate and `commands`."""
    import django

    django.setup()
    from django.core.management import call_command

    for command in (["migrate"], *commands):
        call_command(*command, verbosity=0)


def serve(env: dict[str, str], port: int, *, threads: int, access_log: str = "") -> list:
    """gunicorn (one worker, `threads` threads) on 127.0.0.1:`port` and the engine's worker,
    in `env`; returns the processes once the server answers."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = ["--access-logfile", access_log] if access_log else []
    server = [str(gunicorn), "dashboard.wsgi", "-b", f"127.0.0.1:{port}", "--workers", "1",
              "--threads", str(threads), "--log-level", "warning", *log]  # fmt: skip
    processes = [
        subprocess.Popen(server, cwd=ROOT, env=env),
        subprocess.Popen([sys.executable, "manage.py", "engine_worker"], cwd=ROOT, env=env),
    ]
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
    except BaseException:
        stop(*processes)
        raise
    return processes


def time_page(client, url: str, samples: int) -> tuple[float, int]:
    """Median server time in ms of GETting `url` with the test client, and the most queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], []
    for _ in range(samples):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        queries.append(len(captured))
    return statistics.median(times) * 1000, max(queries)


def percentile(values: list[float], fraction: float) -> float:
    """The value `fraction` of the way up `values` (nearest rank): 0.95 for the p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ratio(value: float, baseline: float) -> str:
    """`value` as a multiple of a baseline measured in the same run: "1.16 x"."""
    return f"{value / baseline:.2f} x" if baseline > 0 else "- x"


def stop(*processes: subprocess.Popen, timeout: float = 20.0) -> None:
    """Terminate, wait, and kill what did not stop in time."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def arguments(doc: str, options: dict[str, tuple[float, str]]) -> argparse.Namespace:
    """A benchmark's command line, its options all numbers: `--name` for each of `options`
    ({name: (default, help)}; the type is the default's), described by `doc`'s first line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, (default, words) in options.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=type(default), default=default, help=words)
    return parser.parse_args()


def scratch(prefix: str) -> tuple[str, int]:
    """A throw-away data directory for a benchmark's server, and a free port for it."""
    return tempfile.mkdtemp(prefix=prefix), free_port()
