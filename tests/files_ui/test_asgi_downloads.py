"""Downloads stream under both handlers: under ASGI (the deployment's uvicorn workers) Django
reads a sync iterator whole into memory before sending a byte, so the dashboard's file download,
the engine's /v1/files/{id}/content and any other ChunkStream / FileStream (dashboard/serving.py)
send each chunk as it is read; under WSGI they stream as before, without Django's warning.

The ASGI tests call dashboard.asgi's application in this process with a hand-made ASGI
connection, so the order of "chunk read" and "chunk sent" can be observed directly."""

from __future__ import annotations

import asyncio
import threading
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.decorators import login_not_required
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest
from django.test import Client
from django.urls import include, path, reverse

from dashboard.serving import ChunkStream, FileStream
from tests.support import run_async

pytestmark = pytest.mark.django_db(transaction=True)

CHUNK = 64 * 1024
BIG = 16 * 1024 * 1024


def asgi_get(
    url: str, headers: dict[str, str] | None = None, on_body: Callable[[bytes], None] = id
) -> tuple[int, int, int]:
    """GET `url` from dashboard.asgi's application: (status, body messages, body bytes).
    `on_body` sees each body chunk as the server sends it."""
    from dashboard.asgi import application

    raw_headers = [(b"host", b"testserver")]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    path_part, _, query = url.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path_part,
        "raw_path": path_part.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    result = {"status": 0, "messages": 0, "bytes": 0}

    async def run() -> None:
        requested = asyncio.Event()

        async def receive() -> dict:
            if not requested.is_set():
                requested.set()
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # the client never leaves; the handler cancels this
            raise AssertionError("unreachable")

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                result["status"] = message["status"]
            elif message.get("body"):
                result["messages"] += 1
                result["bytes"] += len(message["body"])
                on_body(message["body"])

        await application(scope, receive, send)

    run_async(run())
    return result["status"], result["messages"], result["bytes"]


# A view of this module's own (pytest.mark.urls) for the helpers on their own.
log: list[str] = []
first_sent = threading.Event()


def _made_while_sending() -> Iterator[bytes]:
    log.append("made 1")
    yield b"a" * CHUNK
    # Sent already if the response streams; if it buffers, nothing is sent until this ends.
    first_sent.wait(timeout=10)
    log.append("made 2")
    yield b"b" * CHUNK


@login_not_required
def chunks_view(request: HttpRequest) -> ChunkStream:
    return ChunkStream(_made_while_sending(), content_type="application/octet-stream")


opened: list = []


@login_not_required
def file_view(request: HttpRequest) -> FileStream:
    opened.append(open(request.GET["path"], "rb"))  # noqa: SIM115 (the response closes it)
    return FileStream(opened[-1], as_attachment=True)


urlpatterns = [
    path("chunks/", chunks_view),
    path("file/", file_view),
    path("", include("dashboard.urls")),
]


@pytest.fixture
def fresh_log(owner):  # someone exists: the site is set up
    log.clear()
    first_sent.clear()
    yield log


def _sent(chunk: bytes) -> None:
    log.append("sent")
    first_sent.set()


@pytest.mark.urls(__name__)
def test_a_chunk_stream_sends_each_chunk_before_the_next_is_made_under_asgi(fresh_log):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django's "must consume synchronous iterators"
        status, messages, size = asgi_get("/chunks/", on_body=_sent)
    assert (status, messages, size) == (200, 2, 2 * CHUNK)
    assert fresh_log == ["made 1", "sent", "made 2", "sent"]


@pytest.mark.urls(__name__)
def test_a_chunk_stream_streams_under_wsgi_without_a_warning(fresh_log, live_server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with httpx.stream("GET", live_server.url + "/chunks/", timeout=20) as response:
            assert response.status_code == 200
            parts = response.iter_raw(CHUNK)
            first = next(parts)
            _sent(first)
            rest = b"".join(parts)
    assert len(first) + len(rest) == 2 * CHUNK
    assert fresh_log[:3] == ["made 1", "sent", "made 2"]


@pytest.mark.urls(__name__)
def test_a_file_stream_reads_the_file_as_it_sends_under_asgi(owner, tmp_path: Path):
    blocks = 8  # read in pieces of ASGIHandler.chunk_size: it sets FileResponse.block_size
    stored = tmp_path / "big.bin"
    stored.write_bytes(b"x" * ASGIHandler.chunk_size * blocks)
    read_at_first_send: list[int] = []
    opened.clear()

    def on_body(chunk: bytes) -> None:
        if not read_at_first_send:
            read_at_first_send.append(opened[0].tell())

    status, messages, size = asgi_get(f"/file/?path={stored}", on_body=on_body)
    assert (status, size, messages) == (200, ASGIHandler.chunk_size * blocks, blocks)
    # Buffered, the whole file would have been read before the first byte went out.
    assert read_at_first_send == [ASGIHandler.chunk_size]
    assert opened[0].closed


def peak_while(fetch: Callable[[], tuple[int, int, int]]) -> tuple[tuple[int, int, int], int]:
    tracemalloc.start()
    try:
        result = fetch()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_dashboard_download_of_a_big_file_holds_a_few_chunks_under_asgi(owner, library_file):
    record = library_file("big.bin", b"z" * BIG)
    client = Client()
    client.force_login(owner)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    url = reverse("file_content", args=[record.file_id])

    (status, messages, size), peak = peak_while(lambda: asgi_get(url, {"cookie": cookie}))

    assert (status, size) == (200, BIG)
    assert messages > 1
    assert peak < BIG // 4, f"{peak} bytes held at once for a {BIG}-byte download"


def test_the_engine_content_of_a_big_file_holds_a_few_chunks_under_asgi(openai_client, engine_key):
    made = openai_client.files.create(file=("big.bin", b"y" * BIG), purpose="assistants")
    url = f"/v1/files/{made.id}/content"

    (status, messages, size), peak = peak_while(
        lambda: asgi_get(url, {"authorization": f"Bearer {engine_key}"})
    )

    assert (status, size) == (200, BIG) and messages > 1
    assert peak < BIG // 4, f"{peak} bytes held at once for a {BIG}-byte download"


def test_the_dashboard_download_streams_under_wsgi_without_a_warning(owner, library_file):
    record = library_file("notes.txt", b"n" * (3 * CHUNK + 5))
    client = Client()
    client.force_login(owner)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = client.get(reverse("file_content", args=[record.file_id]))
        parts = list(response.streaming_content)
    assert response.status_code == 200 and response.is_async is False
    assert b"".join(parts) == b"n" * (3 * CHUNK + 5) and len(parts) > 1
