"""gunicorn settings for the team deployment (`make serve`), from the environment.

The dashboard calls the built-in engine's /v1 on this same server over loopback, so a page
request waits for a second request to the same server: with one sync worker that second request
would never be served. gthread workers serve requests on a pool of threads instead; streamed runs
also hold a thread each while they last. Size WEB_WORKERS times WEB_THREADS well above the number of
pages and API calls served at once (about twice the people active at the same moment).
"""

import os
from pathlib import Path

import environ

# The same optional .env beside manage.py that the settings read (real environment wins).
environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "16"))
# A worker that does not report for this long is restarted (requests may last longer: gthread
# workers keep reporting while their threads work, streamed runs included).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Trust X-Forwarded-* only from the proxy in front (127.0.0.1 by default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log on stdout: method, path and status; never headers, so never an API key.
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
