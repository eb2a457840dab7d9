"""dashboard/sqlite3: writers take turns on locks of ours (a thread lock in the process, a file
lock across processes), woken at once or within a millisecond, instead of meeting in SQLite's
busy handler, which sleeps up to 100 ms a try."""

import fcntl
import os
import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from dashboard.sqlite3.base import _gate_file, _lock_file
from engine.models import EngineKey

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the gate is part of the SQLite backend"
)


def in_thread(work):
    """Run `work` on a thread of its own (its own connection); returns (thread, outcome)."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work()
        except Exception as error:
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_writer_waits_for_the_gate_and_goes_on_once_it_is_free(transactional_db):
    gate = connection.gate()
    with transaction.atomic():
        EngineKey.issue("first")
        assert gate.locked()  # held from BEGIN to COMMIT
        # An autocommit write of another thread is a transaction too: it queues on the gate.
        thread, outcome = in_thread(lambda: EngineKey.issue("second"))
        thread.join(0.5)
        assert thread.is_alive() and not outcome
    thread.join(10)
    assert "error" not in outcome, outcome
    assert not gate.locked()
    assert EngineKey.objects.count() == 2


def test_the_gate_is_released_by_a_rollback(transactional_db):
    with pytest.raises(ValueError), transaction.atomic():
        EngineKey.issue("undone")
        raise ValueError
    assert not connection.gate().locked()
    assert not EngineKey.objects.exists()


def test_a_writer_that_waits_too_long_gets_database_is_locked(transactional_db):
    connection.settings_dict["OPTIONS"]["timeout"] = 0.2
    try:
        with transaction.atomic():
            EngineKey.issue("holder")
            thread, outcome = in_thread(lambda: EngineKey.issue("late"))
            thread.join(10)
    finally:
        connection.settings_dict["OPTIONS"]["timeout"] = 20
    assert isinstance(outcome.get("error"), OperationalError)
    assert "database is locked" in str(outcome["error"])
    assert list(EngineKey.objects.values_list("name", flat=True)) == ["holder"]


HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()  # until the test closes it
"""


def test_a_writer_of_another_process_is_waited_for(transactional_db):
    """The web processes and the worker write to one file: one of them at a time."""
    path = f"{connection.settings_dict['NAME']}-gate"
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert other.stdout.readline() == b"locked\n"
        connection.settings_dict["OPTIONS"]["timeout"] = 0.2
        with pytest.raises(OperationalError, match="database is locked"):
            EngineKey.issue("while the other process writes")
        assert not connection.gate().locked()  # the thread lock was given back
    finally:
        connection.settings_dict["OPTIONS"]["timeout"] = 20
        other.stdin.close()
        other.wait(10)
    EngineKey.issue("after it")
    assert list(EngineKey.objects.values_list("name", flat=True)) == ["after it"]


def test_the_file_lock_is_given_back_after_each_transaction(transactional_db):
    path = f"{connection.settings_dict['NAME']}-gate"
    probe = os.open(path, os.O_RDWR)
    try:
        with transaction.atomic():
            EngineKey.issue("inside")
            with pytest.raises(BlockingIOError):  # held from BEGIN to COMMIT
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
        fcntl.flock(probe, fcntl.LOCK_UN)
    finally:
        os.close(probe)


def test_a_forked_process_opens_the_gate_file_again(monkeypatch, transactional_db):
    """A descriptor inherited across a fork (gunicorn's workers) would share the parent's lock,
    so each process id gets its own."""
    name = str(connection.settings_dict["NAME"])
    mine = _gate_file(name)
    assert _gate_file(name) == mine
    real = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: real + 1)
    child = _gate_file(name)
    assert child != mine
    assert _lock_file(mine, time.monotonic() + 1)
    try:
        assert not _lock_file(child, time.monotonic() + 0.05)  # the two exclude each other
    finally:
        fcntl.flock(mine, fcntl.LOCK_UN)
    monkeypatch.setattr(os, "getpid", lambda: real)
    assert _gate_file(name) != child  # back in this process: opened again, for it
