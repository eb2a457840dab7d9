"""Helpers shared by every test package (plain functions, not fixtures)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import quote

from django.db import connection
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

T = TypeVar("T")


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
    timeout: float = 20.0,
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


def database_url() -> str:
    """The test database as DATABASE_URL, for a worker in another process."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user, password = quote(config["USER"] or ""), quote(config["PASSWORD"] or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = config["HOST"] or "127.0.0.1", config["PORT"] or 5432
    return f"postgres://{auth}{host}:{port}/{config['NAME']}"
