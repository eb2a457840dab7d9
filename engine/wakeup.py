"""Wake-ups over loopback UDP, so nobody polls the database to learn that something happened.

- A worker sleeps until a datagram says "a task was queued" (sent on commit by whoever queued
  it), with a short poll as the fallback.
- A web process that streams a run (SSE) sleeps until a datagram says "run_x changed" (sent by
  the worker after each write), again with a short poll as the fallback.

Listeners register their port in the database (engine.Listener), so every process that shares
the database finds the others, and two test runs on one machine never wake each other.
Datagrams are best effort: a lost one costs at most one fallback poll interval.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
FORGET_AFTER = timedelta(seconds=30)
_send_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
_send_socket.setblocking(False)


def _ports(kind: str) -> list[tuple[str, int]]:
    from .models import Listener

    since = timezone.now() - FORGET_AFTER
    return list(Listener.objects.filter(kind=kind, seen_at__gte=since).values_list("host", "port"))


class _PortCache:
    """The worker sends a datagram per write; look the web listeners up once a second."""

    def __init__(self, kind: str, ttl: float) -> None:
        self.kind, self.ttl = kind, ttl
        self.lock = threading.Lock()
        self.expires = 0.0
        self.value: list[tuple[str, int]] = []

    def get(self) -> list[tuple[str, int]]:
        with self.lock:
            if time.monotonic() >= self.expires:
                self.value = _ports(self.kind)
                self.expires = time.monotonic() + self.ttl
            return self.value


_web_ports = _PortCache("web", ttl=1.0)


def _send(addresses: list[tuple[str, int]], payload: bytes) -> None:
    for address in addresses:
        # A full buffer or a vanished listener: the fallback poll covers it.
        with contextlib.suppress(OSError):
            _send_socket.sendto(payload, address)


def task_queued() -> None:
    """Wake the sleeping workers (called on commit after a run is queued)."""
    try:
        _send(_ports("worker"), b"task")
    except Exception:  # never let a wake-up break the request that queued the run
        logger.warning("Could not wake the workers", exc_info=True)


def run_changed(run_id: str) -> None:
    """Wake the stream followers of `run_id`, in this process and in the web processes."""
    _local_followers.notify(run_id)
    try:
        _send(_web_ports.get(), b"run:" + run_id.encode())
    except Exception:
        logger.warning("Could not wake the stream followers", exc_info=True)


class Listener:
    """A UDP socket on loopback, registered in the database, calling `on_message(payload)`."""

    def __init__(
        self,
        kind: str,
        on_message: Callable[[bytes], None],
        *,
        keep_alive: Callable[[], bool] = lambda: True,
    ) -> None:
        self.kind = kind
        self.on_message = on_message
        self.keep_alive = keep_alive  # heartbeat only while this is true
        self.host = settings.ENGINE_WAKE_HOST
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.host, 0))
        self.sock.settimeout(HEARTBEAT_SECONDS)
        self.port = self.sock.getsockname()[1]
        self.row_id: int | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"engine-wake-{kind}", daemon=True)

    def start(self) -> Listener:
        self.register()
        self.thread.start()
        return self

    def register(self) -> None:
        """(Re)write this listener's row; cheap, and survives a test's table flush."""
        from .models import Listener as Row

        now = timezone.now()
        if self.row_id and Row.objects.filter(pk=self.row_id).update(seen_at=now):
            return
        row = Row.objects.create(
            kind=self.kind, host=self.host, port=self.port, pid=os.getpid(), seen_at=now
        )
        self.row_id = row.pk
        Row.objects.filter(seen_at__lt=now - FORGET_AFTER * 10).delete()

    def _loop(self) -> None:
        last_beat = time.monotonic()
        try:
            while not self.stopping.is_set():
                try:
                    payload = self.sock.recv(512)
                except TimeoutError:
                    payload = b""
                except OSError:
                    break
                if payload:
                    self.on_message(payload)
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS and self.keep_alive():
                    last_beat = time.monotonic()
                    try:
                        self.register()
                    except Exception:
                        logger.warning("Wake-up listener heartbeat failed", exc_info=True)
                    finally:
                        # Hold no connection between beats (a test database must be droppable).
                        connections.close_all()
        finally:
            connections.close_all()

    def stop(self) -> None:
        from .models import Listener as Row

        self.stopping.set()
        with contextlib.suppress(OSError):  # wake our own recv() so the thread ends now
            _send_socket.sendto(b"stop", (self.host, self.port))
        try:
            if self.row_id:
                Row.objects.filter(pk=self.row_id).delete()
        except Exception:
            logger.warning("Could not unregister the wake-up listener", exc_info=True)
        self.sock.close()
        self.thread.join(timeout=HEARTBEAT_SECONDS + 1)


class _Followers:
    """Per-run events that stream followers in this process wait on."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: dict[str, set[threading.Event]] = {}

    def add(self, run_id: str) -> threading.Event:
        event = threading.Event()
        with self.lock:
            self.events.setdefault(run_id, set()).add(event)
        return event

    def remove(self, run_id: str, event: threading.Event) -> None:
        with self.lock:
            waiting = self.events.get(run_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self.events[run_id]

    def any(self) -> bool:
        with self.lock:
            return bool(self.events)

    def notify(self, run_id: str) -> None:
        with self.lock:
            for event in self.events.get(run_id, ()):
                event.set()

    def on_datagram(self, payload: bytes) -> None:
        if payload.startswith(b"run:"):
            self.notify(payload[4:].decode(errors="replace"))


_local_followers = _Followers()
_web_listener: Listener | None = None
_web_listener_lock = threading.Lock()
_web_listener_checked = 0.0


def follow(run_id: str) -> threading.Event:
    """An event set whenever `run_id` changes; pair with `unfollow`."""
    global _web_listener, _web_listener_checked
    with _web_listener_lock:
        if _web_listener is None:
            _web_listener = Listener(
                "web", _local_followers.on_datagram, keep_alive=_local_followers.any
            ).start()
            _web_listener_checked = time.monotonic()
        elif time.monotonic() - _web_listener_checked > 1.0:
            _web_listener_checked = time.monotonic()
            _web_listener.register()
    return _local_followers.add(run_id)


def unfollow(run_id: str, event: threading.Event) -> None:
    _local_followers.remove(run_id, event)
