"""Benchmark of replies streaming into the chat pane. Prints figures; asserts nothing.

A slow local chat-completions server (tests/fakes/chat_server.py, in this process) writes a
reply of numbered words ("w000 w001 …", a paragraph break every 20 words), a few characters
every `--delay` seconds. The built-in engine runs it (gunicorn and the engine worker on a
throw-away SQLite database, DEBUG off), and an SSE client posts the composer as the page's
stream.js does (Accept: text/event-stream) and reads the page updates the dashboard sends.

With `--asgi` the dashboard is served by uvicorn (the async stream view and client) and calls
the engine on the gunicorn server (the engine's own SSE endpoint is a sync iterator, which
Django would buffer under ASGI).

For each word: token→page delay = when the page update showing it arrived at the client,
minus when the fake server wrote the chunk that completed it (one clock: both are in this
process). Also the time to first word: from posting the message to the first word on the page.

    .venv/bin/python bench/stream_latency.py [--replies 3] [--words 200] [--delay 0.05] [--asgi]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
from _common import ROOT, free_port, serve, setup_django, stop, wait_until_up
from pages import configure

WORD = re.compile(r"w\d{3}")


def reply_text(words: int) -> str:
    return "".join(f"w{i:03d}" + ("\n\n" if i % 20 == 19 else " ") for i in range(words)).strip()


def recording_server(written: list[tuple[float, str]]):
    """The fake chat server, noting when it wrote each piece of reply text."""
    import tests.fakes.chat_server as fake_server

    plain = fake_server._handler_for

    def handler_for(fake):
        class Recording(plain(fake)):
            def _write(self, text: str) -> None:
                super()._write(text)
                if text.startswith("data: {"):
                    choices = json.loads(text[6:]).get("choices") or [{}]
                    piece = (choices[0].get("delta") or {}).get("content")
                    if piece:
                        written.append((time.monotonic(), piece))

        return Recording

    fake_server._handler_for = handler_for
    return fake_server.FakeChatServer(models=["fake-model"])


def emitted_at(written: list[tuple[float, str]]) -> dict[str, float]:
    """When the fake server had written each word (w and three digits: whole once seen)."""
    text, seen = "", {}
    for at, piece in written:
        text += piece
        for word in WORD.findall(text[-12:]):
            seen.setdefault(word, at)
    return seen


def stream_reply(http: httpx.Client, thread_pk: int) -> tuple[float, dict[str, float]]:
    """Post a message as stream.js does; when each word first showed in the page updates."""
    page, shown = {"settled": "", "tail": ""}, {}
    sent = time.monotonic()
    headers = {"Accept": "text/event-stream", "HX-Request": "true"}
    data = {"content": "Write the words", "csrfmiddlewaretoken": http.cookies["csrftoken"]}
    with http.stream("POST", f"/threads/{thread_pk}/messages/", data=data, headers=headers) as r:
        assert r.headers["content-type"].startswith("text/event-stream"), r.status_code
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "text":
                update = json.loads(line[6:])
                now = time.monotonic()
                page["settled"] += update["settled"]
                page["tail"] = update["tail"]
                for word in WORD.findall(page["settled"] + page["tail"]):
                    shown.setdefault(word, now)
            elif line.startswith("data: ") and event == "done":
                now = time.monotonic()
                for word in WORD.findall(json.loads(line[6:])["html"]):
                    shown.setdefault(word, now)
    return sent, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=3, help="replies to stream, one by one")
    parser.add_argument("--words", type=int, default=200, help="words in each reply")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between chunks")
    parser.add_argument("--asgi", action="store_true", help="serve the dashboard with uvicorn")
    args = parser.parse_args()

    written: list[tuple[float, str]] = []
    fake = recording_server(written)
    fake.start()
    text = reply_text(args.words)
    from tests.fakes.chat_server import Reply

    fake.default = lambda body: Reply(text=text, chunk_size=3, delay=args.delay)

    data_dir = tempfile.mkdtemp(prefix="bench-stream-")
    port = free_port()
    env = configure(data_dir, port)
    chat = {
        "ENGINE_CHAT_BASE_URL": fake.base_url,
        "ENGINE_CHAT_API_KEY": "sk-bench",
        "ENGINE_CHAT_MODELS": "fake-model",
        "CSRF_COOKIE_SECURE": "false",  # plain HTTP on 127.0.0.1: the client must send it back
    }
    env.update(chat)
    setup_django(["collectstatic", "--noinput"])
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    processes = serve(env, port, threads=16)
    served = "WSGI: gunicorn, 1 worker, 16 threads"
    if args.asgi:
        port = free_port()
        uvicorn = [
            sys.executable,
            "-m",
            "uvicorn",
            "dashboard.asgi:application",
            "--port",
            str(port),
        ]
        processes.append(subprocess.Popen([*uvicorn, "--log-level", "warning"], cwd=ROOT, env=env))
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        served = "ASGI: uvicorn, engine on gunicorn"
    try:
        from assistants_app.models import Connection, ThreadRecord
        from assistants_app.roles import set_role
        from assistants_app.services import client_for

        api = client_for(Connection.objects.default())
        user = get_user_model().objects.create_user("bench", "bench@example.com", "x" * 20)
        set_role(user, "member")
        assistant = api.assistants.create(model="fake-model", name="Slow writer")
        login = Client()
        login.force_login(user)
        cookies = {settings.SESSION_COOKIE_NAME: login.cookies[settings.SESSION_COOKIE_NAME].value}
        delays, firsts, model_firsts = [], [], []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies=cookies, timeout=60) as http:
            http.get("/threads/")  # the CSRF cookie
            for _ in range(args.replies):
                thread = ThreadRecord.objects.create(
                    connection=Connection.objects.default(),
                    thread_id=api.threads.create().id,
                    owner=user,
                    assistant_id=assistant.id,
                    assistant_name=assistant.name,
                )
                written.clear()
                sent, shown = stream_reply(http, thread.pk)
                emitted = emitted_at(written)
                delays += [(shown[w] - emitted[w]) * 1000 for w in emitted if w in shown]
                missing = set(emitted) - set(shown)
                if missing:
                    raise SystemExit(f"words never shown: {sorted(missing)[:5]}…")
                firsts.append((shown["w000"] - sent) * 1000)
                model_firsts.append((emitted["w000"] - sent) * 1000)

        delays.sort()
        p95 = delays[int(0.95 * (len(delays) - 1))]
        print(
            f"Streamed: {args.replies} replies of {args.words} words, a chunk every "
            f"{args.delay * 1000:.0f} ms ({served})"
        )
        print(
            f"  token→page delay: median {statistics.median(delays):.0f} ms, "
            f"p95 {p95:.0f} ms, max {delays[-1]:.0f} ms ({len(delays)} words)"
        )
        print(
            f"  time to first word (post → first word on the page): "
            f"median {statistics.median(firsts):.0f} ms, of which the model server had it "
            f"after {statistics.median(model_firsts):.0f} ms"
        )
    finally:
        stop(*processes)
        fake.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
