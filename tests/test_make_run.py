"""`make run` for real: the web server and the worker (`manage.py serve_all`) on a free port
with their own data folder. SIGINT, SIGTERM and SIGHUP stop both; when either dies the other
stops too; and with DEBUG left unset a member sees the friendly error pages, never Django's
technical page with the environment in it."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.support import free_port, wait_until

ROOT = Path(settings.BASE_DIR)
PASSWORD = "a long test passphrase"
# The settings of a checkout nobody configured: no DEBUG, no database, nothing from the tests.
DROP = {"DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "ENGINE_BASE_URL", "PORT"}
# The installed stamp counts as up to date: the test must never reinstall the project.
MAKE_RUN = ["make", "--no-print-directory", "-o", ".venv/.installed", "run"]


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")".
        state, _ppid, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data folder with the tables made and two accounts: an administrator and a person with
    no role in the dashboard (403 everywhere). Each test copies it."""
    data = tmp_path_factory.mktemp("make-run-template")
    env = {k: v for k, v in os.environ.items() if k not in DROP} | {"DATA_DIR": str(data)}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    accounts = (
        "from django.contrib.auth import get_user_model; "
        "from assistants_app.models import Installation; "
        f"Installation.create_administrator(username='ada', email='', password='{PASSWORD}'); "
        f"get_user_model().objects.create_user('nobody', password='{PASSWORD}')"
    )
    subprocess.run([*manage, "shell", "-c", accounts], cwd=ROOT, env=env, check=True, timeout=60)
    return data


class Served:
    """`manage.py serve_all` (or `make run`) in its own session, so the test can signal it
    like a terminal would, with its output in a file."""

    def __init__(self, data: Path, *, make: bool = False, **extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web = self.worker = 0  # process groups, once known
        self.canary = f"canary-{secrets.token_hex(8)}"
        self.env = {k: v for k, v in os.environ.items() if k not in DROP} | {
            "DATA_DIR": str(data),
            "STUDIO_TEST_CANARY": self.canary,  # an environment value nobody may be shown
            **extra,
        }
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for post-mortems
            prefix="make-run-", suffix=".log", delete=False
        )
        command = (
            [*MAKE_RUN, f"PORT={self.port}"]
            if make
            else [sys.executable, "manage.py", "serve_all", "--port", str(self.port)]
        )
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        found = wait_until(
            lambda: re.search(r"Web server pid (\d+), worker pid (\d+)", self.alive_output()),
            timeout=120,
            message=lambda: f"the two processes to start\n{self.details()}",
        )
        self.web, self.worker = int(found[1]), int(found[2])
        wait_until(self.answers, timeout=120, message=lambda: f"/healthz\n{self.details()}")

    @property
    def database(self) -> Path:
        return Path(self.env["DATA_DIR"]) / "db.sqlite3"

    def answers(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        return Path(self.log.name).read_text()

    def alive_output(self) -> str:
        assert self.process.poll() is None, f"it stopped\n{self.details()}"
        return self.output()

    def details(self) -> str:
        """For post-mortems: the output, and what each process left is doing."""
        lines = [self.output()]
        for pid in [p for g in self.pgids() for p in group_members(g)]:
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
                wchan = Path(f"/proc/{pid}/wchan").read_text()
                lines.append(f"{pid} {wchan} {cmdline}")
        return "\n".join(lines)

    def groups(self) -> list[int]:
        """Process groups still holding a live process: the session's, the web server's and
        the worker's."""
        return [g for g in self.pgids() if group_members(g)]

    def pgids(self) -> list[int]:
        return [g for g in (self.process.pid, self.web, self.worker) if g]

    def wait_all_gone(self) -> None:
        wait_until(
            lambda: not self.groups(), timeout=45, message=lambda: f"the end\n{self.details()}"
        )

    def kill_everything(self) -> None:
        for pgid in self.pgids():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        self.process.wait(10)


@pytest.fixture
def serve(migrated, tmp_path):
    started: list[Served] = []

    def start(**kwargs) -> Served:
        data = tmp_path / f"data-{len(started)}"
        shutil.copytree(migrated, data)
        started.append(Served(data, **kwargs))
        return started[-1]

    yield start
    for served in started:
        served.kill_everything()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_the_supervisor_stops_both_processes(serve, signum):
    served = serve()
    assert group_members(served.web) and group_members(served.worker)
    served.process.send_signal(signum)
    assert served.process.wait(45) == 0
    served.wait_all_gone()
    assert not served.answers()
    assert "Engine worker" in served.output() and "stopped" in served.output()


@pytest.mark.parametrize(
    ("dead", "said"), [("worker", "The worker stopped"), ("web", "The web server stopped")]
)
def test_a_dead_worker_or_web_server_stops_the_other(serve, dead, said):
    served = serve()
    os.killpg(getattr(served, dead), signal.SIGKILL)
    assert served.process.wait(45) != 0
    served.wait_all_gone()
    assert said in served.output()
    assert not served.answers()


@pytest.mark.skipif(not (ROOT / ".venv/bin/python").exists(), reason="make run uses .venv")
def test_make_run_stops_on_sigterm_to_make(serve):
    served = serve(make=True)
    served.process.send_signal(signal.SIGTERM)  # `kill -TERM <pid of make>`
    served.process.wait(45)
    served.wait_all_gone()
    assert not served.answers()


@pytest.mark.skipif(not (ROOT / ".venv/bin/python").exists(), reason="make run uses .venv")
def test_make_run_stops_when_its_terminal_hangs_up(serve):
    served = serve(make=True)
    os.killpg(served.process.pid, signal.SIGHUP)  # the terminal's hang-up reaches its job
    served.process.wait(45)
    served.wait_all_gone()
    assert not served.answers()


@contextlib.contextmanager
def signed_in(served: Served, username: str) -> Iterator[httpx.Client]:
    """An HTTP client of `served`, signed in as `username` through the login form."""
    with httpx.Client(base_url=served.url, timeout=10) as http:
        page = http.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        response = http.post(
            "/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302, response.text[:2000]
        yield http


def home_without_sessions(served: Served, http: httpx.Client) -> httpx.Response:
    """The home page once the table of sessions disappeared under the running server: a real
    server error."""
    subprocess.run(
        [sys.executable, "-c", RENAME_SESSIONS, str(served.database)], check=True, timeout=30
    )
    return http.get("/")


def test_error_pages_are_friendly_and_show_no_environment(serve):
    served = serve()
    with signed_in(served, "ada") as http:
        missing = http.get("/no-such-page/")
        assert missing.status_code == 404 and "Page not found" in missing.text
        # Static files are served with DEBUG off, without collectstatic.
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', missing.text)[1]
        css = http.get(stylesheet)
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

        broken = home_without_sessions(served, http)
    assert broken.status_code == 500
    assert "Something went wrong" in broken.text
    for secret in (served.canary, str(served.database), "DATABASE", "Traceback", "django_session"):
        assert secret not in broken.text


def test_a_person_without_a_role_gets_the_friendly_403(serve):
    served = serve()
    with signed_in(served, "nobody") as http:
        refused = http.get("/")
    assert refused.status_code == 403 and "Not allowed" in refused.text
    assert served.canary not in refused.text


def test_technical_pages_only_when_debug_is_asked_for(serve):
    served = serve(DEBUG="1")
    with signed_in(served, "ada") as http:
        broken = home_without_sessions(served, http)
    assert broken.status_code == 500
    assert "Traceback" in broken.text and served.canary in broken.text


RENAME_SESSIONS = (
    "import sqlite3, sys; db = sqlite3.connect(sys.argv[1], timeout=20); "
    "db.execute('ALTER TABLE django_session RENAME TO gone'); db.commit()"
)


def test_the_worker_alone_stops_gracefully_on_a_hang_up(migrated, tmp_path):
    """`make worker` in a terminal that closes: the runs in progress finish, as on Ctrl-C."""
    data = tmp_path / "data"
    shutil.copytree(migrated, data)
    env = {k: v for k, v in os.environ.items() if k not in DROP} | {"DATA_DIR": str(data)}
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "engine_worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: "threads, fallback poll" in log.read_text(),
            timeout=120,
            message="the worker to start",
        )
        worker.send_signal(signal.SIGHUP)
        assert worker.wait(45) == 0
        assert "Received Hangup" in log.read_text() and "stopped" in log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
