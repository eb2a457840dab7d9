"""Helpers shared by every test package (plain functions, not fixtures)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from django.db import connection
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

    from assistants_app.models import Endpoint

T = TypeVar("T")

# How long a test waits for work in the background (the engine's worker, a live server, a
# follower pass) before it fails: room for a 2-core machine that several test runs share. A wait
# ends as soon as its condition holds, so a passing test never spends it.
PATIENCE = 30.0


def weather_tool(parameter: str = "city") -> dict:
    """A get_weather function tool taking one string, which the demo model fills from
    `get_weather <parameter>=…` in a message."""
    return {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": f"Current weather for a {parameter}",
            "parameters": {
                "type": "object",
                "properties": {parameter: {"type": "string"}},
                "required": [parameter],
            },
        },
    }


WEATHER_TOOL = weather_tool()


def admin_change_url(model: str, pk) -> str:
    """The admin's change page of `model` ("app_model") row `pk`, quoted as the admin quotes
    it (an id such as step_0A… would otherwise read as an escaped character)."""
    from django.contrib.admin.utils import quote as admin_quote

    return reverse(f"admin:{model}_change", args=[admin_quote(pk)])


def logged_in(user) -> Client:
    """A test client signed in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def upload_to_library(person, *files) -> None:
    """Upload `files` (SimpleUploadedFile) on the Files page as `person`: the team library's,
    offered in the pickers."""
    data = {"files": list(files), "purpose": "assistants"}
    response = logged_in(person).post(reverse("file_upload"), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def run_async(coroutine: Coroutine[object, object, T]) -> T:
    """Run a coroutine to its end from a synchronous test. On a thread of its own: once the
    browser tests have run, Playwright's sync API keeps an event loop running on this one, where
    asyncio.run and async_to_sync refuse to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float = PATIENCE,
    message: str | Callable[[], str] = "the condition",
    interval: float = 0.05,
) -> T:
    """Call `condition` until it returns something truthy, and return that.

    Fails after `timeout` seconds saying what it waited for (`message`, or a function giving
    it, called only then: for the last state seen). An AssertionError raised by `condition`
    fails at once, for a state the wait can never leave (a process that died)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            said = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout:g} s waiting for {said}")
        time.sleep(interval)
    return value


_SAMPLE = {"int": "1", "str": "x", "path": "x", "": "x"}


def every_route(patterns=None, prefix: str = "") -> Iterator[tuple[str, Callable]]:
    """(path, view) for every URL of the project, with sample values for its parameters.

    Regex catch-alls (the admin's, /v1's unknown URLs) are left out: they have no one path."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from every_route(entry.url_patterns, prefix + str(entry.pattern))
            continue
        route = prefix + str(entry.pattern)
        if "^" in route or "(?P" in route:
            continue
        path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _SAMPLE[m[1] or ""], route)
        yield "/" + path, entry.callback


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database as DATABASE_URL, for a worker in another process."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user, password = quote(config["USER"] or ""), quote(config["PASSWORD"] or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = config["HOST"] or "127.0.0.1", config["PORT"] or 5432
    return f"postgres://{auth}{host}:{port}/{config['NAME']}"


class EndpointHandler(BaseHTTPRequestHandler):
    """A function-answering endpoint (assistants_app.endpoints) for the `remote` fixture: it
    records what it received and answers {"city": …, "temperature": 21}, or misbehaves as the
    server's `behaviour` says ("slow", "500", "redirect", "large", "not json")."""

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(
            {"path": self.path, "body": json.loads(body), "headers": dict(self.headers)}
        )
        behaviour = self.server.behaviour
        if behaviour == "slow":
            self.server.release.wait(10)
        if behaviour == "500":
            self.send_response(500)
            self.end_headers()
            return
        if behaviour == "redirect":
            self.send_response(307)
            self.send_header("Location", "http://example.org/elsewhere")
            self.end_headers()
            return
        if behaviour == "large":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'"' + b"x" * 5_000_000 + b'"')
            return
        if behaviour == "not json":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>hello</html>")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        city = self.server.received[-1]["body"].get("arguments", {}).get("city", "?")
        self.wfile.write(json.dumps({"city": city, "temperature": 21}).encode())


def make_endpoint(server: ThreadingHTTPServer, **extra) -> Endpoint:
    """An Endpoint named "Weather service" at `server` (the `remote` fixture)."""
    from assistants_app.models import Endpoint

    url = f"http://127.0.0.1:{server.server_address[1]}/answer"
    return Endpoint.objects.create(name="Weather service", url=url, **extra)


def answered_by(assistant, mode: str, server: ThreadingHTTPServer, **extra) -> Endpoint:
    """`assistant`'s get_weather answered in `mode` ("approval" or "automatic") by a new
    endpoint at `server`, made with `extra` fields: that endpoint."""
    from assistants_app.models import Connection, FunctionAnswering

    endpoint = make_endpoint(server, **extra)
    FunctionAnswering.objects.create(
        connection=Connection.objects.default(),
        assistant_id=assistant.id,
        function_name="get_weather",
        mode=mode,
        endpoint=endpoint,
    )
    return endpoint
