"""The project run as separate processes (`make serve`, `make worker`) on the test database,
for the tests of the deployment: one log file for all of them, kept for post-mortems."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

from tests.support import database_url, free_port

ROOT = Path(settings.BASE_DIR)


class Served:
    """Spawns `python …` processes in this checkout with `env` (over the test runner's own,
    on the test database and `tmp` as DATA_DIR); `stop()` ends every one of them."""

    def __init__(self, tmp: Path, env: dict[str, str], log_prefix: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        drop = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "ENGINE_BASE_URL"}
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in drop},
            **env,
            "DATABASE_URL": database_url(),
            "DATA_DIR": str(tmp),
            "PORT": str(self.port),
        }
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for post-mortems
            prefix=log_prefix, suffix=".log", delete=False
        )
        self.processes: list[subprocess.Popen] = []

    def spawn(self, *args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def output(self) -> str:
        return Path(self.log.name).read_text()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
