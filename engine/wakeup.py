"""Wake-ups, so nobody polls the database to learn that something happened.

- A worker sleeps until it hears "a task was queued" (sent on commit by whoever queued it),
  with a short poll as the fallback.
- Whatever follows a run (an SSE stream, a retrieve that waits) sleeps until it hears
  "run_x changed" (sent by the worker after each write), again with a short poll as the fallback.

How the word travels depends on the database, because that is all the processes share:
- PostgreSQL: LISTEN/NOTIFY. NOTIFY goes out on the sender's own connection, so inside a
  transaction it is delivered at commit (never before the change is visible), and it reaches
  every listening process on every host. Each process holds one listening connection per kind.
- SQLite (one host by nature): datagrams on loopback UDP. Listeners register their port in the
  database (engine.Listener), so every process that shares the database finds the others, and
  two test runs on one machine never wake each other. Senders keep the ports they looked up for
  a second, and look again at once when a listener has joined since: joining touches the
  database file, so a sender checks its modification time (a stat, not a query).

Listeners of both kinds have a row in engine.Listener (who is listening, for the admin and the
tests). Wake-ups are best effort: a lost one costs at most one fallback poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Protocol

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
FORGET_AFTER = timedelta(seconds=30)
# A web process closes its listening PostgreSQL connection this long after its last follower
# left: reused by the next stream, yet closed well within the 5 s that DROP DATABASE waits for
# other sessions (a test database stays droppable).
WEB_LINGER_SECONDS = 2.0
RECONNECT_MAX_SECONDS = 5.0
CHANNELS = {"worker": "engine_wake_worker", "web": "engine_wake_web"}
WAKE_ALL = b"all"  # after (re)connecting: whatever happened meanwhile was not heard
_send_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
_send_socket.setblocking(False)


def uses_notify() -> bool:
    """Whether wake-ups travel by PostgreSQL's NOTIFY (else by loopback UDP)."""
    return connections["default"].vendor == "postgresql"


def _ports(kind: str) -> list[tuple[str, int]]:
    from .models import Listener

    since = timezone.now() - FORGET_AFTER
    return list(Listener.objects.filter(kind=kind, seen_at__gte=since).values_list("host", "port"))


def _database_file() -> str | None:
    name = connections["default"].settings_dict["NAME"]
    return None if uses_notify() or not name or str(name).startswith(":") else str(name)


def _joined_stamp() -> int | None:
    """When a listener last joined: the database file's modification time (see _joined)."""
    path = _database_file()
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def _joined() -> None:
    """Tell the senders' caches that a listener joined (or came back), once its row is
    committed. Checkpoints change the time too (in WAL mode SQLite writes the database file
    only then): a look-up more now and then, nothing worse."""
    path = _database_file()
    if path:
        with contextlib.suppress(OSError):  # the cache's time limit still covers it
            os.utime(path)


class _PortCache:
    """The listeners of one kind, looked up again after `ttl` seconds or when one has joined
    since (a changed `_joined_stamp`). File times are coarse (a clock tick): a lookup made
    while the stamp is that recent is not trusted for the next call, so a listener that joined
    in the same tick, unseen by the lookup, is found by the next one."""

    RECENT_NS = 50_000_000  # far above any file system's clock tick

    def __init__(self, kind: str, ttl: float) -> None:
        self.kind, self.ttl = kind, ttl
        self.lock = threading.Lock()
        self.expires = 0.0
        self.stamp: int | None = None
        self.value: list[tuple[str, int]] = []

    def get(self) -> list[tuple[str, int]]:
        stamp = _joined_stamp()  # before the lookup: a later join changes it
        with self.lock:
            if time.monotonic() >= self.expires or stamp != self.stamp:
                self.value = _ports(self.kind)
                recent = stamp is not None and time.time_ns() - stamp < self.RECENT_NS
                self.expires = 0.0 if recent else time.monotonic() + self.ttl
                self.stamp = stamp
            return self.value


# Per process: the worker sends a datagram per write; a web process one per queued run.
_web_ports = _PortCache("web", ttl=1.0)
_worker_ports = _PortCache("worker", ttl=1.0)


def _send_udp(addresses: list[tuple[str, int]], payload: bytes) -> None:
    for address in addresses:
        # A full buffer or a vanished listener: the fallback poll covers it.
        with contextlib.suppress(OSError):
            _send_socket.sendto(payload, address)


def _notify(kind: str, payload: bytes) -> None:
    # On this thread's own connection: delivered when its transaction commits (at once in
    # autocommit), so a listener never wakes before it can see the change.
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNELS[kind], payload.decode()])


def task_queued() -> None:
    """Wake the sleeping workers (called on commit after a run is queued)."""
    try:
        if uses_notify():
            _notify("worker", b"task")
        else:
            _send_udp(_worker_ports.get(), b"task")
    except Exception:  # never let a wake-up break the request that queued the run
        logger.warning("Could not wake the workers", exc_info=True)


def run_changed(run_id: str) -> None:
    """Wake the followers of `run_id`, in this process and in the web processes."""
    _local_followers.notify(run_id)
    payload = b"run:" + run_id.encode()
    try:
        if uses_notify():
            _notify("web", payload)
        else:
            _send_udp(_web_ports.get(), payload)
    except Exception:
        logger.warning("Could not wake the stream followers", exc_info=True)


class Listener:
    """Calls `on_message(payload)` for each wake-up of its kind ("worker" or "web"), on a thread
    of its own: a PostgreSQL connection that LISTENs, or a UDP socket on loopback.

    `keep_alive`: the heartbeat (the engine.Listener row) is kept only while it is true; with
    `linger`, a listening PostgreSQL connection closes once it has been false that long."""

    def __init__(
        self,
        kind: str,
        on_message: Callable[[bytes], None],
        *,
        keep_alive: Callable[[], bool] = lambda: True,
        linger: float | None = None,
    ) -> None:
        self.kind = kind
        self.on_message = on_message
        self.keep_alive = keep_alive
        self.linger = linger
        self.notify = uses_notify()
        self.host = socket.gethostname()[:64] if self.notify else settings.ENGINE_WAKE_HOST
        self.port = 0
        self.sock: socket.socket | None = None
        if not self.notify:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((self.host, 0))
            self.sock.settimeout(HEARTBEAT_SECONDS)
            self.port = self.sock.getsockname()[1]
        self.row_id: int | None = None
        self.written_at: datetime | None = None
        self.stopping = threading.Event()
        self.listening = threading.Event()  # the first LISTEN has been executed
        self.state_lock = threading.Lock()
        self.closing = False  # decided under state_lock: no new follower may count on it
        self.used_at = time.monotonic()
        self._stop_read, self._stop_write = os.pipe()
        loop = self._notify_loop if self.notify else self._udp_loop
        self.thread = threading.Thread(target=loop, name=f"engine-wake-{kind}", daemon=True)

    def start(self, *, ready_timeout: float = 5.0) -> Listener:
        """Start listening; with PostgreSQL, return once LISTEN is in force (or the timeout)."""
        if not self.notify:
            self.register()
        self.thread.start()
        if self.notify and not self.listening.wait(ready_timeout):
            logger.warning("Wake-up listener not ready; relying on the fallback poll for now")
        return self

    def claim(self) -> bool:
        """Count on this listener for a new follower (False: it is closing, start another)."""
        with self.state_lock:
            self.used_at = time.monotonic()
            return not self.closing and not self.stopping.is_set()

    def register(self) -> None:
        """(Re)write this listener's row; cheap, and survives a test's table flush."""
        from .models import Listener as Row

        now = timezone.now()
        # Long unwritten, the row may have dropped out of the senders' lists: tell them.
        revived = self.written_at is None or now - self.written_at > FORGET_AFTER / 2
        self.written_at = now
        if self.row_id and Row.objects.filter(pk=self.row_id).update(seen_at=now):
            if revived:
                transaction.on_commit(_joined)
            return
        row = Row.objects.create(
            kind=self.kind, host=self.host, port=self.port, pid=os.getpid(), seen_at=now
        )
        self.row_id = row.pk
        transaction.on_commit(_joined)
        Row.objects.filter(seen_at__lt=now - FORGET_AFTER * 10).delete()

    def _beat(self) -> None:
        try:
            self.register()
        except Exception:
            logger.warning("Wake-up listener heartbeat failed", exc_info=True)
        finally:
            # Hold no connection between beats (a test database must be droppable).
            connections.close_all()

    def _udp_loop(self) -> None:
        assert self.sock is not None
        last_beat = time.monotonic()
        try:
            while not self.stopping.is_set():
                try:
                    payload = self.sock.recv(512)
                except TimeoutError:
                    payload = b""
                except OSError:
                    break
                if payload and not self.stopping.is_set():
                    self.on_message(payload)
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS and self.keep_alive():
                    last_beat = time.monotonic()
                    self._beat()
        finally:
            connections.close_all()

    def _notify_loop(self) -> None:
        channel = CHANNELS[self.kind]
        backoff = 0.25
        pg = None
        last_beat = 0.0
        try:
            while not self.stopping.is_set():
                if pg is None:
                    try:
                        pg = _listening_connection(channel)
                    except Exception:
                        logger.warning("Cannot LISTEN for wake-ups; retrying", exc_info=True)
                        select.select([self._stop_read], [], [], backoff)
                        backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)
                        continue
                    backoff = 0.25
                    if self.listening.is_set():  # reconnected: what was said meanwhile is lost
                        self.on_message(WAKE_ALL)
                    self.listening.set()
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS and self.keep_alive():
                    last_beat = time.monotonic()
                    self._beat()
                if self._idle():
                    break
                readable, _, _ = select.select(
                    [pg.fileno(), self._stop_read], [], [], min(HEARTBEAT_SECONDS, 0.5)
                )
                if self._stop_read in readable:
                    break
                if readable:
                    try:
                        pg.pgconn.consume_input()
                        while (message := pg.pgconn.notifies()) is not None:
                            self.on_message(message.extra)
                    except Exception:
                        logger.warning("Wake-up connection lost; reconnecting", exc_info=True)
                        with contextlib.suppress(Exception):
                            pg.close()
                        pg = None
        finally:
            with self.state_lock:
                self.closing = True
            if pg is not None:
                with contextlib.suppress(Exception):
                    pg.close()
            self._unregister()
            connections.close_all()

    def _idle(self) -> bool:
        if self.linger is None:
            return False
        with self.state_lock:
            if self.keep_alive() or time.monotonic() - self.used_at < self.linger:
                return False
            self.closing = True
            return True

    def _unregister(self) -> None:
        from .models import Listener as Row

        row_id, self.row_id = self.row_id, None
        try:
            if row_id:
                Row.objects.filter(pk=row_id).delete()
        except Exception:
            logger.warning("Could not unregister the wake-up listener", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):  # wake the listening thread so it ends now
            os.write(self._stop_write, b"x")
            if self.sock is not None:
                _send_socket.sendto(b"stop", (self.host, self.port))
        if self.sock is not None:
            self._unregister()
            self.sock.close()
        self.thread.join(timeout=HEARTBEAT_SECONDS + 1)
        for fd in (self._stop_read, self._stop_write):
            with contextlib.suppress(OSError):
                os.close(fd)


def _listening_connection(channel: str):  # -> psycopg.Connection
    import psycopg

    params = connections["default"].get_connection_params()
    pg = psycopg.connect(**params, autocommit=True)
    pg.execute(f"LISTEN {channel}")  # a constant from CHANNELS, never input
    return pg


class _Waiter(Protocol):
    def set(self) -> None: ...


class _AsyncWaiter:
    """An asyncio.Event that any thread may set."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def set(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
            self.loop.call_soon_threadsafe(self.event.set)


class _Followers:
    """Per-run waiters (threading.Event or _AsyncWaiter) of the followers in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiters: dict[str, set[_Waiter]] = {}

    def add(self, run_id: str, waiter: _Waiter) -> None:
        with self.lock:
            self.waiters.setdefault(run_id, set()).add(waiter)

    def remove(self, run_id: str, waiter: _Waiter) -> None:
        with self.lock:
            waiting = self.waiters.get(run_id)
            if waiting is not None:
                waiting.discard(waiter)
                if not waiting:
                    del self.waiters[run_id]

    def any(self) -> bool:
        with self.lock:
            return bool(self.waiters)

    def notify(self, run_id: str) -> None:
        with self.lock:
            waiting = list(self.waiters.get(run_id, ()))
        for waiter in waiting:
            waiter.set()

    def notify_all(self) -> None:
        with self.lock:
            waiting = [waiter for group in self.waiters.values() for waiter in group]
        for waiter in waiting:
            waiter.set()

    def on_message(self, payload: bytes) -> None:
        if payload.startswith(b"run:"):
            self.notify(payload[4:].decode(errors="replace"))
        elif payload == WAKE_ALL:
            self.notify_all()


_local_followers = _Followers()
_web_listener: Listener | None = None
_web_listener_lock = threading.Lock()
_web_listener_renewed = 0.0
RENEW_SECONDS = 1.0  # a loopback listener's row, rewritten by its followers when older


def _listen(*, may_block: bool = True) -> bool:
    """Make sure this process listens for run changes. Starting the listener, or renewing its
    row, blocks and touches the database: with `may_block` false, return False instead (also
    while another thread holds the lock, perhaps starting it)."""
    global _web_listener, _web_listener_renewed
    if not _web_listener_lock.acquire(blocking=may_block):
        return False
    try:
        listener = _web_listener
        if listener is None or not listener.claim():
            if not may_block:
                return False
            _web_listener = Listener(
                "web",
                _local_followers.on_message,
                keep_alive=_local_followers.any,
                linger=WEB_LINGER_SECONDS if uses_notify() else None,
            ).start()
            _web_listener_renewed = time.monotonic()
        elif not listener.notify and time.monotonic() - _web_listener_renewed > RENEW_SECONDS:
            # No heartbeat while idle: the row may be stale or gone, so renew it now.
            if not may_block:
                return False
            _web_listener_renewed = time.monotonic()
            listener.register()
        return True
    finally:
        _web_listener_lock.release()


def _listen_from_pool() -> None:
    try:
        _listen()
    finally:
        connections.close_all()  # a shared executor thread keeps no connection of ours


def follow(run_id: str) -> threading.Event:
    """An event set whenever `run_id` changes; pair with `unfollow`. For threads."""
    event = threading.Event()
    _local_followers.add(run_id, event)  # before claim(): a closing listener then sees it
    try:
        _listen()
    except BaseException:
        _local_followers.remove(run_id, event)
        raise
    return event


def unfollow(run_id: str, event: threading.Event) -> None:
    _local_followers.remove(run_id, event)


class Watch:
    """The changes of one run, for coroutines (see `watching`)."""

    def __init__(self, waiter: _AsyncWaiter) -> None:
        self._waiter = waiter

    async def wait(self, timeout: float) -> bool:
        """True as soon as the run changed since the watch began or since the last wait that
        returned True; False after `timeout` seconds without a change."""
        try:
            await asyncio.wait_for(self._waiter.event.wait(), timeout)
        except TimeoutError:
            return False
        self._waiter.event.clear()
        return True


@contextlib.asynccontextmanager
async def watching(run_id: str) -> AsyncIterator[Watch]:
    """`async with watching(run_id) as watch:` read the run, then `await watch.wait(t)`: a change
    made after the watch began is never missed. Waits without holding a thread."""
    waiter = _AsyncWaiter()
    _local_followers.add(run_id, waiter)  # before claim(): a closing listener then sees it
    try:
        # Mostly the listener is in force and its row fresh: nothing to do on a thread then.
        if not _listen(may_block=False):
            await sync_to_async(_listen_from_pool, thread_sensitive=False)()
        yield Watch(waiter)
    finally:
        _local_followers.remove(run_id, waiter)


async def wait_for_change(run_id: str, timeout: float) -> bool:
    """Wait up to `timeout` seconds for `run_id` to change: True if it did, False on timeout.
    Only changes after the call count; to read first and then wait, use `watching`."""
    async with watching(run_id) as watch:
        return await watch.wait(timeout)
