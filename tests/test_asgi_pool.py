"""The ASGI application (dashboard/asgi.py) runs each request's sync code on a pooled thread,
reused from one request to the next (and with it its database connection), yet never a fixed
number of threads to wait for: a request waiting on another one still gets answered."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.signals import request_started

from dashboard.serving import ThreadPool
from tests.files_ui.test_asgi_downloads import asgi_get
from tests.support import PATIENCE, run_async, wait_until


def get(path: str) -> int:
    """The status of GET `path`, served in this process by the ASGI application."""
    return asgi_get(path)[0]


def test_requests_run_one_after_another_on_one_reused_thread():
    threads: list[threading.Thread] = []  # held, so no thread object is recycled

    def record(**_: Any) -> None:
        threads.append(threading.current_thread())

    request_started.connect(record)
    try:
        statuses = [get("/v1/no-such-path") for _ in range(3)]
    finally:
        request_started.disconnect(record)
    assert statuses == [404, 404, 404]
    assert len(threads) == 3
    assert len(set(threads)) == 1, threads


def test_a_request_waiting_on_another_gets_a_thread_of_its_own():
    first_waiting, second_done = threading.Event(), threading.Event()
    waited: list[bool] = []

    def hold_first(scope: dict[str, Any], **_: Any) -> None:
        if scope["path"] == "/v1/first":
            first_waiting.set()
            waited.append(second_done.wait(PATIENCE))

    request_started.connect(hold_first)
    try:
        with ThreadPoolExecutor(1) as client:
            first = client.submit(get, "/v1/first")
            assert first_waiting.wait(PATIENCE)
            second = get("/v1/second")
            second_done.set()
            assert (first.result(PATIENCE), second) == (404, 404)
    finally:
        request_started.disconnect(hold_first)
    assert waited == [True]


def test_a_burst_of_requests_leaves_only_a_few_threads_behind():
    pool = ThreadPool("burst", keep=2)
    release = threading.Event()
    futures = [pool.submit(release.wait, PATIENCE) for _ in range(8)]
    assert pool.started == 8  # none idle: each job got a thread at once
    release.set()
    assert [future.result(PATIENCE) for future in futures] == [True] * 8

    def ours() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.startswith("burst-")]

    kept = wait_until(lambda: len(ours()) == 2 and ours(), message="two threads kept")
    assert pool.submit(threading.current_thread).result(PATIENCE) in kept
    assert pool.started == 8


def test_a_client_gone_while_its_view_runs_finishes_the_request_once():
    """The view goes on to its end on its thread and the request is finished there, once; the
    event loop does not finish it a second time for the client that left."""
    import asyncio

    from django.core.signals import request_finished

    from dashboard.asgi import application

    view_running, view_may_end = threading.Event(), threading.Event()
    finished: list[str] = []
    view_thread: list[str] = []

    def hold(scope: dict[str, Any], **_: Any) -> None:
        if scope["path"] == "/v1/held":
            view_thread.append(threading.current_thread().name)
            view_running.set()
            view_may_end.wait(PATIENCE)

    def count(**_: Any) -> None:
        finished.append(threading.current_thread().name)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/v1/held", "raw_path": b"/v1/held", "query_string": b"",
             "root_path": "", "headers": [(b"host", b"testserver")],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}  # fmt: skip

    async def run() -> None:
        messages = [{"type": "http.request", "body": b"", "more_body": False}]
        left = asyncio.Event()

        async def receive() -> dict:
            if messages:
                return messages.pop()
            await asyncio.to_thread(view_running.wait, PATIENCE)
            left.set()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            pass

        async def end_the_view_once_the_handler_has_seen_it() -> None:
            await left.wait()
            for _ in range(50):  # turns of the loop, not time: the handler reacts to the leave
                await asyncio.sleep(0)
            view_may_end.set()

        ending = asyncio.create_task(end_the_view_once_the_handler_has_seen_it())
        await application(scope, receive, send)
        await ending

    request_started.connect(hold)
    request_finished.connect(count)
    try:
        run_async(run())
        wait_until(lambda: view_thread[0] in finished, message="the view's thread to finish it")
    finally:
        view_may_end.set()
        request_started.disconnect(hold)
        request_finished.disconnect(count)
    assert len(finished) == 1, finished
