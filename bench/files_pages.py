"""Benchmark of the dashboard's file pages. Prints figures; asserts nothing.

1. Downloads: a large file through the dashboard's download view (streamed from the engine's
   /v1/files/{id}/content through the client) next to the engine's own endpoint: MB/s.
2. The thread page of a chat whose runs used the code interpreter: the first view asks the
   engine for each shown run's steps (code, logs, images), later views take them from the
   cache: median server time of both, and database queries.
3. The Files page with 100 files: median server time and queries.

The built-in engine is served by gunicorn on 127.0.0.1 with its worker, on a throw-away SQLite
database in a temporary directory, with the demo model and the bubblewrap sandbox; DEBUG is off.

    .venv/bin/python bench/files_pages.py [--megabytes 64] [--samples 20] [--runs 10]
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import httpx
from _common import arguments, scratch, serve, setup_django, stop, time_page
from pages import configure

OPTIONS = {  # --name: (default, help)
    "megabytes": (64, "size of the downloaded file"),
    "samples": (20, "page requests per figure"),
    "runs": (10, "code interpreter runs in the chat"),
}


def download_rate(
    http: httpx.Client, url: str, headers: dict, size: int, repeats: int = 3
) -> float:
    """Best of `repeats` MB/s for GETting `url` and reading every byte."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        received = 0
        with http.stream("GET", url, headers=headers) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(1 << 20):
                received += len(chunk)
        elapsed = time.perf_counter() - started
        assert received == size, (received, size)
        best = max(best, size / elapsed / 1e6)
    return best


def main() -> None:
    args = arguments(__doc__, OPTIONS)
    data_dir, port = scratch("bench-files-pages-")
    env = configure(data_dir, port)
    env["ENGINE_SANDBOX_DIR"] = str(Path(data_dir) / "sandbox")
    env["ENGINE_EMBEDDINGS"] = "off"

    import os

    os.environ.update({k: env[k] for k in ("ENGINE_SANDBOX_DIR", "ENGINE_EMBEDDINGS")})
    setup_django(["collectstatic", "--noinput"])
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    processes = serve(env, port, threads=8)
    try:
        base_url = f"http://127.0.0.1:{port}"
        from django.core.files.uploadedfile import SimpleUploadedFile

        from assistants_app.files import upload
        from assistants_app.models import Connection, ThreadRecord
        from assistants_app.services import client_for
        from engine.auth import dashboard_key

        connection = Connection.objects.default()
        api = client_for(connection, timeout=120)
        user = get_user_model().objects.create_user("bench", "bench@example.com", "x" * 20)
        try:  # dashboard pages need the Members role where roles exist
            from assistants_app.roles import set_role
        except ImportError:
            pass
        else:
            set_role(user, "member")
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

        # 1. Downloads
        size = args.megabytes * 1024 * 1024
        big = upload(api, connection, user, SimpleUploadedFile("big.bin", os.urandom(size)))
        with httpx.Client(base_url=base_url, timeout=120) as http:
            direct = download_rate(
                http,
                f"/v1/files/{big.file_id}/content",
                {"Authorization": f"Bearer {dashboard_key()}"},
                size,
            )
            through = download_rate(
                http, f"/files/{big.file_id}/content/", {"Cookie": f"sessionid={cookie}"}, size
            )
        print(f"Download of a {args.megabytes} MB file (best of 3)")
        print(f"  engine /v1/files/…/content   {direct:8.1f} MB/s")
        print(f"  dashboard /files/…/content/  {through:8.1f} MB/s (streamed through the client)")

        # 2. A chat whose runs used the code interpreter
        assistant = api.assistants.create(
            model="demo", name="Coder", tools=[{"type": "code_interpreter"}]
        )
        thread = api.threads.create()
        record = ThreadRecord.objects.create(
            connection=connection,
            thread_id=thread.id,
            owner=user,
            assistant_id=assistant.id,
            title="Code",
        )
        for number in range(args.runs):
            response = client.post(
                f"/threads/{record.pk}/messages/",
                {"content": f"Run {number}\n```python\nprint({number} * 2)\n```"},
            )
            assert response.status_code == 302, response.status_code
            run = record.runs.first()
            api.threads.runs.poll(run.run_id, thread_id=thread.id, poll_timeout=60)
            run.note_status("completed")
        url = record.get_absolute_url()
        cold = []
        for _ in range(max(3, args.samples // 4)):
            for run in record.runs.all():
                cache.delete(f"dashboard:steps:{run.run_id}")
            cold.append(time_page(client, url, 1))
        warm = time_page(client, url, args.samples)
        print(f"Thread page with {args.runs} code interpreter turns (median)")
        print(f"  first view (steps asked for)  {statistics.median(c[0] for c in cold):7.1f} ms"
              f"  {max(c[1] for c in cold):3d} queries")  # fmt: skip
        print(f"  later views (steps cached)    {warm[0]:7.1f} ms  {warm[1]:3d} queries")

        # 3. The Files page
        for number in range(100):
            upload(api, connection, user, SimpleUploadedFile(f"f{number}.txt", b"x" * 100))
        page_ms, queries = time_page(client, "/files/", args.samples)
        print(f"Files page with 100 files: {page_ms:.1f} ms median, {queries} queries")
    finally:
        stop(*processes, timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
