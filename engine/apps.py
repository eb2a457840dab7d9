import contextlib
import socket

from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Built-in engine"

    def ready(self) -> None:
        _runserver_without_nagle()


def _runserver_without_nagle() -> None:
    """Django's development server writes a response's headers and body in separate small
    sends; with Nagle's algorithm on, the body then waits for the client's delayed ACK, about
    40 ms per API call. `make run` serves the engine (and the dashboard's calls to it) with
    runserver, so accepted sockets get TCP_NODELAY, as production servers set it."""
    from django.core.servers.basehttp import WSGIRequestHandler

    if getattr(WSGIRequestHandler, "_engine_nodelay", False):
        return
    original = WSGIRequestHandler.setup

    def setup(self: WSGIRequestHandler) -> None:
        with contextlib.suppress(OSError, AttributeError):  # not a TCP socket
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original(self)

    WSGIRequestHandler.setup = setup  # type: ignore[method-assign]
    WSGIRequestHandler._engine_nodelay = True  # type: ignore[attr-defined]
