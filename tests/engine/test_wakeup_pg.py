"""Wake-ups between processes that share only the database.

On PostgreSQL (CI's second pass) the other process runs in a network namespace of its own
(bwrap --unshare-net) and reaches the database through its Unix socket: like a worker on another
host, no datagram of ours can reach it, so only LISTEN/NOTIFY can wake it. On SQLite (one host
by nature) it is a plain second process and the wake-ups are loopback datagrams.

Nothing here polls: a follower's event is set only by a wake-up, and the worker's fallback poll
is 30 s, far beyond how long each test waits."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from engine import wakeup
from engine.models import Listener, Run
from tests.support import database_url, run_async, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

WORKER_POLL_SECONDS = 60  # the worker's fallback poll: far longer than any wait below


def shared_database_url() -> str:
    """DATABASE_URL for the other process: on PostgreSQL, through the server's Unix socket."""
    if connection.vendor != "postgresql":
        return database_url()
    with connection.cursor() as cursor:
        cursor.execute("SHOW unix_socket_directories")
        socket_dir = cursor.fetchone()[0].split(",")[0].strip()
    user = connection.settings_dict["USER"] or "postgres"
    return f"postgres://{user}@/{connection.settings_dict['NAME']}?host={socket_dir}"


class Elsewhere:
    """`manage.py *args` in a process that shares only the database with this one."""

    def __init__(self, *args: str) -> None:
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for post-mortems
            prefix="elsewhere-", suffix=".log", delete=False
        )
        command = [sys.executable, "manage.py", *args]
        if connection.vendor == "postgresql":
            bwrap = shutil.which("bwrap")
            assert bwrap, "bubblewrap is needed (make test installs it)"
            command = [bwrap, "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent",
                       "--", *command]  # fmt: skip
        env = {**os.environ, "DATABASE_URL": shared_database_url(), "LOG_LEVEL": "INFO"}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.process = subprocess.Popen(
            command,
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return Path(self.log.name).read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


@pytest.fixture(autouse=True)
def listening_afresh(monkeypatch):
    """This process's listener outlives each test's table flush, which deletes its row (nothing
    else deletes a fresh one): have the first follower of each test write it again."""
    monkeypatch.setattr(wakeup, "_web_listener_renewed", 0.0)


@pytest.fixture
def elsewhere():
    started: list[Elsewhere] = []

    def start(*args: str) -> Elsewhere:
        started.append(Elsewhere(*args))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="PostgreSQL only: on SQLite both processes share one host by design",
)
def test_the_other_process_shares_only_the_database(elsewhere):
    """The premise of the tests below: the other process reaches the database (through its Unix
    socket) but not this host's network (the server's TCP port, reachable from here)."""
    host = connection.settings_dict["HOST"] or "127.0.0.1"
    port = int(connection.settings_dict["PORT"] or 5432)
    socket.create_connection((host, port), timeout=2).close()  # from here: fine
    probe = (
        "import socket; from engine.models import Listener; print(Listener.objects.count()); "
        f"socket.create_connection(({host!r}, {port}), timeout=2)"
    )
    other = elsewhere("shell", "-c", probe)
    assert other.process.wait(60) != 0
    assert "OperationalError" not in other.output()  # the database itself was reached
    assert "ConnectionRefusedError" in other.output() or "OSError" in other.output()


def test_a_worker_on_another_host_starts_a_queued_run_at_once(openai_client, elsewhere):
    worker = elsewhere("engine_worker", "--threads", "2", "--poll", str(WORKER_POLL_SECONDS))
    wait_until(
        lambda: Listener.objects.filter(kind="worker").exists(),
        message=lambda: "the worker to listen\n" + worker.output(),
    )
    assistant = openai_client.beta.assistants.create(model="demo")

    def finished(run_id: str) -> Run | None:
        assert worker.process.poll() is None, worker.output()
        return Run.objects.filter(pk=run_id, status__in=Run.TERMINAL).first()

    # The first run also proves the worker is past its start-up pass and asleep on its poll.
    for question in ("Warm up", "Now"):
        queued = openai_client.beta.threads.create_and_run(
            assistant_id=assistant.id,
            thread={"messages": [{"role": "user", "content": question}]},
        )
        run = wait_until(
            lambda queued=queued: finished(queued.id),
            timeout=WORKER_POLL_SECONDS / 2,
            message=lambda: "the run to finish\n" + worker.output(),
        )
        assert run.status == Run.COMPLETED
    # Started within a small fraction of the fallback poll after it was queued: woken.
    waited = run.started_at - run.created_at
    assert waited < timedelta(seconds=WORKER_POLL_SECONDS / 10), (waited, worker.output())


def test_a_follower_here_wakes_when_another_host_changes_the_run(elsewhere):
    run_id = "run_changed_elsewhere"
    event = wakeup.follow(run_id)  # listening (LISTEN in force, or our port registered) now
    try:
        writer = elsewhere(
            "shell", "-c", f"from engine import wakeup; wakeup.run_changed({run_id!r})"
        )
        # Only a wake-up sets this event; the writer exits once it has sent it.
        assert event.wait(timeout=30), "no wake-up arrived\n" + writer.output()
        assert writer.process.wait(30) == 0, writer.output()
    finally:
        wakeup.unfollow(run_id, event)


def test_a_coroutine_waits_for_a_change_made_by_another_host(elsewhere):
    run_id = "run_awaited_elsewhere"

    async def scenario() -> tuple[bool, bool]:
        async with wakeup.watching(run_id) as watch:
            quiet = await watch.wait(0.05)  # nothing changed yet: it times out
            writer = elsewhere(
                "shell", "-c", f"from engine import wakeup; wakeup.run_changed({run_id!r})"
            )
            changed = await watch.wait(30)
            assert changed, "no wake-up arrived\n" + writer.output()
            return quiet, changed

    quiet, changed = run_async(scenario())
    assert (quiet, changed) == (False, True)


def test_a_watch_begun_while_listening_stays_on_the_loop_and_wakes(elsewhere, monkeypatch):
    """Once this process listens (and its row is fresh), a watch registers on the event loop
    without handing over to a thread, and a change made by another host still wakes it."""
    monkeypatch.setattr(wakeup, "RENEW_SECONDS", 600.0)  # no renewal due during the test
    run_id = "run_watched_in_place"

    async def scenario() -> tuple[bool, bool]:
        async with wakeup.watching("run_first_watch"):  # listening from here on
            pass
        others_ran: list[bool] = []
        asyncio.get_running_loop().call_soon(others_ran.append, True)
        async with wakeup.watching(run_id) as watch:
            stayed = not others_ran  # no await gave the loop to the callback
            writer = elsewhere(
                "shell", "-c", f"from engine import wakeup; wakeup.run_changed({run_id!r})"
            )
            changed = await watch.wait(30)
            assert changed, "no wake-up arrived\n" + writer.output()
            return stayed, changed

    assert run_async(scenario()) == (True, True)
