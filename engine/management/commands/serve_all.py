"""`make run`'s two processes, the web server and the engine worker, started and stopped together.

SIGINT (Ctrl-C), SIGTERM and SIGHUP stop both: the web server at once, the worker once it has
finished the runs in progress (a second signal stops it at once). When either process ends on
its own, the other is stopped too, so a web server never waits on a worker that is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 40.0  # the worker gives its runs 30 s to finish; then everything is killed
PR_SET_PDEATHSIG = 1


class Command(BaseCommand):
    help = "Serve the dashboard and the engine (runserver) together with the engine worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, help="Port to listen on (default: PORT).")
        parser.add_argument(
            "--noreload", action="store_true", help="Do not restart the web server on code edits."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        web = ["runserver", f"{options['addr']}:{options['port'] or settings.PORT}"]
        if options["noreload"]:
            web.append("--noreload")
        status = Supervisor(web=web, worker=["engine_worker"], out=self.say).run()
        if status:
            sys.exit(status)

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # seen at once, also through a pipe


class Supervisor:
    def __init__(self, *, web: list[str], worker: list[str], out: Any) -> None:
        self.commands = {"web server": web, "worker": worker}
        self.out = out
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.deadline: float | None = None

    def run(self) -> int:
        _stop_with_parent()
        # Every signal wakes the loop through this pipe, child exits (SIGCHLD) included, so it
        # never polls; the handlers themselves do nothing.
        wake_read, wake_write = os.pipe()
        for fd in (wake_read, wake_write):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        for signum in (*STOP_SIGNALS, signal.SIGCHLD):
            signal.signal(signum, lambda *_: None)
        for name, command in self.commands.items():
            self.processes[name] = self.start(command)
        self.out(
            "Web server pid {}, worker pid {}".format(
                *(process.pid for process in self.processes.values())
            )
        )
        status = 0
        try:
            while self.running():
                for name, process in self.processes.items():
                    if process.poll() is not None and self.deadline is None:
                        other = "worker" if name == "web server" else "web server"
                        code = process.returncode
                        self.out(f"The {name} stopped (status {code}); stopping the {other}.")
                        status = process.returncode if process.returncode > 0 else 1
                        self.stop(signal.SIGTERM)
                timeout = None if self.deadline is None else self.deadline - time.monotonic()
                if timeout is not None and timeout <= 0:
                    self.out("Still running after the grace period: killing.")
                    self.stop(signal.SIGKILL)
                    timeout = None
                select.select([wake_read], [], [], timeout)
                try:
                    received = os.read(wake_read, 512)
                except BlockingIOError:
                    received = b""
                for signum in received:
                    if signum in STOP_SIGNALS:
                        # Again while stopping: the worker abandons its runs and stops at once.
                        self.out(
                            f"{signal.strsignal(signum)}: stopping the web server and the worker."
                        )
                        self.stop(signal.SIGTERM)
        finally:
            for process in self.processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
                _signal_group(process.pid, signal.SIGKILL)  # whatever the leader left behind
            signal.set_wakeup_fd(-1)
            os.close(wake_read)
            os.close(wake_write)
        return status

    def start(self, command: list[str]) -> subprocess.Popen[bytes]:
        # Its own process group: one signal from here reaches the whole process (runserver's
        # reloader child included), and a Ctrl-C in the terminal does not reach it twice.
        manage = str(settings.BASE_DIR / "manage.py")
        return subprocess.Popen([sys.executable, manage, *command], process_group=0)  # noqa: S603

    def running(self) -> bool:
        return any(process.poll() is None for process in self.processes.values())

    def stop(self, signum: int) -> None:
        if self.deadline is None:
            self.deadline = time.monotonic() + GRACE_SECONDS
        for process in self.processes.values():
            _signal_group(process.pid, signum)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
        os.killpg(pgid, signum)


def _stop_with_parent() -> None:
    """Linux: be sent SIGTERM when the parent (make) dies, so a killed `make run` leaves no
    server behind."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
