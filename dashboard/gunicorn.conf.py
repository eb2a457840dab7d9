"""gunicorn settings for the team deployment (`make serve`), from the environment.

gunicorn manages the processes (restarts a dead or silent one, reloads on SIGHUP); each runs
uvicorn serving the ASGI application (dashboard/asgi.py) on an event loop. A streamed run is an
open connection waiting on asyncio (engine/streaming.py), not a thread, so hundreds of people can
watch replies at once. Pages and API calls are Django's sync views, each request's run on a
thread of a pool that grows whenever no thread is idle (dashboard/asgi.py), so the dashboard
calling the engine's /v1 on this same server over loopback never waits for a free thread.
"""

import os
from pathlib import Path

import environ

# The same optional .env beside manage.py that the settings read (real environment wins).
environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)

# PostgreSQL connections come from a pool per process (dashboard/settings.py says why).
os.environ.setdefault("DATABASE_POOL", "true")
# SQLite: a pooled thread keeps its connection from one request to the next.
os.environ.setdefault("CONN_MAX_AGE", "60")

wsgi_app = "dashboard.asgi:application"
worker_class = "uvicorn_worker.UvicornWorker"
bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
# A worker whose event loop does not report for this long is restarted (streams and slow
# requests do not count: they never block the loop).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Each open stream is a socket: leave room for many.
backlog = 2048
# Trust X-Forwarded-* only from the proxy in front (127.0.0.1 by default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log on stdout: method, path and status; never headers, so never an API key.
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
# No control socket: it would be shared by every gunicorn of the user on the host.
control_socket_disable = True
