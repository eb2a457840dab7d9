"""Django's SQLite backend, with one writer per process at a time.

SQLite lets one connection write at once; the others wait in its busy handler, which sleeps
1, 2, 5, 10 … up to 100 ms between attempts. Under ASGI every request has a thread (and a
connection) of its own, and the engine's worker executes several runs at once, so dozens of
threads of one process could queue for the lock that way and sleep while it sits free: with 32
clients the engine spent most of a run waiting, not working. Here the threads of a process take
turns on a lock of ours first, which wakes the next one at once, so at most one writer per
process ever meets SQLite's busy handler. The wait is bounded by the same busy timeout, and ends
in the same "database is locked" error.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_gates: dict[str, threading.Lock] = {}
_gates_lock = threading.Lock()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


def _gate(name: str) -> threading.Lock:
    with _gates_lock:
        return _gates.setdefault(name, threading.Lock())


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
        if not self.gate().acquire(timeout=timeout):
            raise OperationalError("database is locked")
        self.holds_gate = True

    def release_gate(self) -> None:
        if self.holds_gate:
            self.holds_gate = False
            self.gate().release()

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
