"""dashboard/sqlite3: the threads of a process take turns to write to SQLite on a lock of ours
(woken at once) instead of meeting in SQLite's busy handler, which sleeps up to 100 ms a try."""

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

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
