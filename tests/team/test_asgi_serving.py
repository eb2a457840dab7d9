"""Streams are long-lived: the deployment's server (gunicorn with uvicorn workers, ASGI) holds many
open SSE streams without a thread each, flushes each event as it is made, and keeps answering
other requests meanwhile; under WSGI (runserver, the tests' live server) the same responses
stream too, without Django's warning about the other kind of iterator."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import httpx
import pytest

from engine.models import EngineKey, Run
from engine.worker import start_in_thread
from tests.support import run_async, wait_until
from tests.team.served import Served

pytestmark = pytest.mark.django_db(transaction=True)

STREAMS = 40  # well beyond the old gthread pool of this size (1 worker x 4 threads)


def process_threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Threads:"))[8:])


def children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text:
            found.append(int(status.parent.name))
    return found


class Server(Served):
    """`make serve` (one uvicorn worker) on the test database; the engine worker on demand."""

    def __init__(self, tmp: Path) -> None:
        env = {
            "WEB_WORKERS": "1",
            "WEB_ACCESS_LOG": "",
            "ENGINE_RATE_LIMIT_REQUESTS": "0",
            "PYTHONWARNINGS": "always",  # Django's buffering warning would show in the log
        }
        super().__init__(tmp, env, "asgi-")
        web = self.spawn("-m", "gunicorn", "--config", "dashboard/gunicorn.conf.py")

        def up() -> bool:
            assert web.poll() is None, self.output()
            try:
                return httpx.get(self.url + "/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, timeout=30, message=lambda: "the server\n" + self.output())
        self.web_pid = wait_until(lambda: children(web.pid), message="its worker")[0]


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path)
    yield running
    running.stop()


class Watcher:
    """One SSE client: the events it has read so far."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.done = False


async def watch(client: httpx.AsyncClient, assistant_id: str, watcher: Watcher) -> None:
    body = {
        "assistant_id": assistant_id,
        "stream": True,
        "thread": {"messages": [{"role": "user", "content": "Hello"}]},
    }
    async with client.stream("POST", "/v1/threads/runs", json=body) as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                watcher.events.append(line[7:])
            watcher.done |= line == "data: [DONE]"


def test_many_streams_open_at_once_without_a_thread_each(server):
    key = EngineKey.issue("watchers")[1]
    api = {"Authorization": f"Bearer {key}"}
    assistant = httpx.post(server.url + "/v1/assistants", json={"model": "demo"}, headers=api)
    assert assistant.status_code == 200, assistant.text
    watchers = [Watcher() for _ in range(STREAMS)]
    # What the server runs anyway (its database pool's, wake-ups', one request's threads).
    before = process_threads(server.web_pid)

    async def scenario() -> None:
        limits = httpx.Limits(max_connections=None)
        async with httpx.AsyncClient(
            base_url=server.url, headers=api, limits=limits, timeout=60
        ) as client:
            streams = [
                asyncio.create_task(watch(client, assistant.json()["id"], w)) for w in watchers
            ]

            def all_open() -> bool:
                for stream in streams:
                    if stream.done():
                        stream.result()  # a stream that failed fails the test now
                return all(w.events for w in watchers)

            # No engine worker yet: every run stays queued, yet each stream has its first events.
            deadline = asyncio.get_running_loop().time() + 30
            while not all_open():
                opened = sum(bool(w.events) for w in watchers)
                assert asyncio.get_running_loop().time() < deadline, f"{opened} streams open"
                await asyncio.sleep(0.05)
            assert all(w.events[:3] == ["thread.created", "thread.run.created",
                                        "thread.run.queued"] for w in watchers)  # fmt: skip
            assert Run.objects.filter(status=Run.QUEUED).count() == STREAMS
            # Far fewer new threads than open streams (those that served the creates beyond the
            # pool's idle ones end once done), and the rest of the site still answers.
            deadline = asyncio.get_running_loop().time() + 30
            while (added := process_threads(server.web_pid) - before) >= STREAMS / 2:
                assert asyncio.get_running_loop().time() < deadline, f"{added} threads more"
                await asyncio.sleep(0.05)
            page = await client.get("/healthz", timeout=10)
            assert page.status_code == 200

            server.spawn("manage.py", "engine_worker")
            await asyncio.wait_for(asyncio.gather(*streams), timeout=60)

    run_async(scenario())
    for watcher in watchers:
        assert watcher.done and watcher.events[-2:] == ["thread.run.completed", "done"]
        assert "thread.message.delta" in watcher.events
    assert set(Run.objects.values_list("status", flat=True)) == {Run.COMPLETED}
    assert "StreamingHttpResponse must consume" not in server.output()


def test_wsgi_streams_flush_as_they_go_without_warnings(live_server):
    """The tests' live server is WSGI: the prelude reaches the client while the run is still
    queued (no worker yet), and Django never warns about consuming the other iterator kind."""
    key = EngineKey.issue("wsgi")[1]
    headers = {"Authorization": f"Bearer {key}"}
    base = live_server.url + "/v1"
    assistant = httpx.post(base + "/assistants", json={"model": "demo"}, headers=headers).json()
    body = {
        "assistant_id": assistant["id"],
        "stream": True,
        "thread": {"messages": [{"role": "user", "content": "Hello"}]},
    }
    worker = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with httpx.stream(
                "POST", base + "/threads/runs", json=body, headers=headers, timeout=30
            ) as response:
                lines = response.iter_lines()
                events = []
                for line in lines:
                    if line.startswith("event: "):
                        events.append(line[7:])
                    if events[-1:] == ["thread.run.queued"]:
                        break
                # Flushed before the run began.
                assert Run.objects.get().status == Run.QUEUED, events
                worker, thread = start_in_thread(threads=1, poll=0.2)
                rest = [line[7:] for line in lines if line.startswith("event: ")]
        finally:
            if worker is not None:
                worker.stop()
                thread.join(timeout=30)
    assert rest[-2:] == ["thread.run.completed", "done"], rest
    assert not [w for w in caught if "StreamingHttpResponse" in str(w.message)]
