"""Django's SQLite backend, with one writer at a time across the deployment's processes.

SQLite lets one connection write at once; the others wait in its busy handler, which sleeps
1, 2, 5, 10 … up to 100 ms between attempts, long after the lock came free. Under ASGI every
request has a thread (and a connection) of its own, the engine's worker executes several runs
at once, and the web processes and the worker write to the same file: with 32 clients the
engine spent most of a run waiting, not working. Here a writer takes turns first on a lock of
ours: a thread lock within the process (the next thread is woken at once), then a file lock
beside the database shared by the processes (tried again after at most a millisecond). So a
writer seldom meets SQLite's busy handler. The wait is bounded by the same busy timeout, and
ends in the same "database is locked" error.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_gates: dict[str, threading.Lock] = {}
_gates_lock = threading.Lock()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


_files: dict[str, tuple[int, int]] = {}  # database name -> (process id, open gate file)


def _gate(name: str) -> threading.Lock:
    with _gates_lock:
        return _gates.setdefault(name, threading.Lock())


def _gate_file(name: str) -> int:
    """This process's descriptor of the file beside the database that writers lock. Opened
    again after a fork: a descriptor shared with the parent would share its lock."""
    with _gates_lock:
        pid, fd = _files.get(name, (0, -1))
        if pid != os.getpid():
            fd = os.open(f"{name}-gate", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            _files[name] = (os.getpid(), fd)
        return fd


def _lock_file(fd: int, deadline: float) -> bool:
    """Take the file lock before `deadline`, trying again after at most a millisecond (SQLite's
    own handler waits up to 100 ms between tries, long after the lock came free)."""
    pause = 0.00005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.001)


class GatedCursor(base.SQLiteCursorWrapper):
    """Outside a transaction, a write statement is a transaction of its own: take turns too."""

    db: DatabaseWrapper

    def execute(self, query: str, params: Any = None) -> Any:
        if self.db.in_atomic_block or not query.lstrip()[:6].upper().startswith(_WRITES):
            return super().execute(query, params)
        with self.db.writing():
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        if self.db.in_atomic_block:
            return super().executemany(query, param_list)
        with self.db.writing():
            return super().executemany(query, param_list)


class DatabaseWrapper(base.DatabaseWrapper):
    holds_gate = False

    def gate(self) -> threading.Lock:
        return _gate(str(self.settings_dict["NAME"]))

    def acquire_gate(self) -> None:
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        if not self.gate().acquire(timeout=timeout):
            raise OperationalError("database is locked")
        if not self.is_in_memory_db() and not _lock_file(self.gate_file(), deadline):
            self.gate().release()
            raise OperationalError("database is locked")
        self.holds_gate = True

    def release_gate(self) -> None:
        if self.holds_gate:
            self.holds_gate = False
            if not self.is_in_memory_db():
                fcntl.flock(self.gate_file(), fcntl.LOCK_UN)
            self.gate().release()

    def gate_file(self) -> int:
        return _gate_file(str(self.settings_dict["NAME"]))

    def writing(self) -> _Writing:
        return _Writing(self)

    def create_cursor(self, name: str | None = None) -> GatedCursor:
        cursor = self.connection.cursor(factory=GatedCursor)
        cursor.db = self
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        self.acquire_gate()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.release_gate()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self.release_gate()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self.release_gate()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self.release_gate()


class _Writing:
    def __init__(self, db: DatabaseWrapper) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.acquire_gate()

    def __exit__(self, *exc: object) -> None:
        self.db.release_gate()
