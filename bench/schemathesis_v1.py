"""Schemathesis over the engine's /v1: generated requests from the Assistants API's OpenAPI
description (bench/assistants-openapi.yaml, a copy of the reference subset) against a live
engine, counting server errors (HTTP 5xx). Goal: 0. Prints figures; asserts nothing.

It starts its own engine (gunicorn + engine worker, as in production) on a throw-away SQLite
database with an engine key made for the run, unless --url and --key name a running one.
Bounded by --max-examples (cases per operation and phase) and --max-time (seconds overall).

    .venv/bin/python bench/schemathesis_v1.py [--max-examples 25] [--max-time 300] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from _common import ROOT, free_port, serve, stop

SPEC = Path(__file__).with_name("assistants-openapi.yaml")


def engine_env(data_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATA_DIR": data_dir,
        "DATABASE_URL": f"sqlite:///{data_dir}/db.sqlite3",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",  # 4xx answers are the point here, not news
        "ENGINE_RATE_LIMIT_REQUESTS": "1000000",  # the fuzzer is not what the limit is for
        "ENGINE_EMBEDDINGS": "off",
    }


def make_key(env: dict[str, str]) -> str:
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [python, "manage.py", "engine_key", "create", "--name", "schemathesis"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return made.stdout.strip()


def schemathesis(base: str, key: str, args: argparse.Namespace, report: Path) -> int:
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", str(SPEC),
        "--url", base, "--header", f"Authorization: Bearer {key}",
        "--checks", "not_a_server_error",
        "--max-examples", str(args.max_examples), "--max-time", str(args.max_time),
        "--seed", str(args.seed), "--workers", str(args.workers),
        "--request-timeout", "30", "--suppress-health-check", "all",
        "--generation-database", "none", "--no-color",
        "--report", "ndjson", "--report-ndjson-path", str(report),
        "--report-dir", str(report.parent),
    ]  # fmt: skip
    with open(report.with_suffix(".log"), "w") as log:
        done = subprocess.run(
            command, cwd=report.parent, stdout=log, stderr=subprocess.STDOUT,
            timeout=args.max_time + 300,
        )  # fmt: skip
    return done.returncode


def tally(report: Path) -> tuple[int, Counter[str]]:
    """(cases run, server errors by 'METHOD path -> status') from the NDJSON event stream."""
    cases, errors = 0, Counter()
    for line in report.read_text().splitlines():
        if not line.startswith('{"ScenarioFinished"'):
            continue
        body = json.loads(line)["ScenarioFinished"]
        recorder = body.get("recorder") or {}
        interactions = recorder.get("interactions") or {}
        cases += len(interactions)
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks:
                if check.get("name") != "not_a_server_error":
                    continue
                if str(check.get("status")).lower() not in ("failure", "error"):
                    continue
                response = (interactions.get(case_id) or {}).get("response") or {}
                where = recorder.get("label") or body.get("label") or "?"
                errors[f"{where} -> {response.get('status_code', 'no response')}"] += 1
    return cases, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=25, help="per operation and phase")
    parser.add_argument("--max-time", type=int, default=300, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="a running engine's /v1 URL (default: start one)")
    parser.add_argument("--key", help="an engine key for --url")
    parser.add_argument("--keep", help="copy schemathesis's NDJSON events and log here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="schemathesis-v1-") as work:
        report = Path(work) / "events.ndjson"
        server_log = Path(work) / "server.log"
        processes = []
        if args.url:
            base, key = args.url.rstrip("/"), args.key or ""
        else:
            env = engine_env(work)
            key = make_key(env)
            port = free_port()
            # The servers' own stderr (every 4xx is logged) goes to a file, read at the end.
            saved = os.dup(2)
            with open(server_log, "w") as log:
                os.dup2(log.fileno(), 2)
                try:
                    processes = serve(env, port, threads=8)
                finally:
                    os.dup2(saved, 2)
                    os.close(saved)
            base = f"http://127.0.0.1:{port}/v1"
        try:
            code = schemathesis(base, key, args, report)
        finally:
            stop(*processes)
        cases, errors = tally(report) if report.exists() else (0, Counter())
        if args.keep and report.exists():
            shutil.copy(report, args.keep)
            shutil.copy(report.with_suffix(".log"), args.keep)
        print(f"Schemathesis over {SPEC.name} against {'--url' if args.url else 'a new engine'}")
        print(f"  max {args.max_examples} examples per operation, {args.max_time} s, seed "
              f"{args.seed}; schemathesis exit code {code}")  # fmt: skip
        print(f"  test cases run:      {cases}")
        print(f"  server errors (5xx): {sum(errors.values())}   (goal 0)")
        for where, count in errors.most_common():
            print(f"    {count:4d}  {where}")
        if server_log.exists():
            logged = [ln for ln in server_log.read_text().splitlines() if " ERROR " in ln]
            print(f"  errors in the engine's log: {len(logged)}")
            for line in logged[:10]:
                print(f"    {line[:160]}")
        if code not in (0, 1) or not cases:
            print(report.with_suffix(".log").read_text()[-3000:])


if __name__ == "__main__":
    main()
