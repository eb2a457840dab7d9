"""Assistant Studio settings. Every value comes from the environment (django-environ).

Development needs nothing set: SQLite in ./data, a secret key generated once into ./data,
and the built-in engine on the demo model. Production sets DEBUG=false and SECRET_KEY
(or SECRET_KEY_FILE); see the README's "Configuration" section. DEBUG=true is only for someone
who wants Django's technical error pages.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# NAME_FILE, when set, names a file holding NAME's value (Docker/systemd secrets).
env = environ.FileAwareEnv()
# A local .env file is optional; real environment variables win.
env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

# Django's technical error pages show the settings and the process's environment, so they are
# only for whoever asks for them (DEBUG=true). Left unset, this is a development checkout
# (`make run`): friendly error pages, yet a generated secret key, cookies over plain HTTP and
# static files served from their folders. DEBUG=false declares a deployment, configured in full.
DEBUG = env.bool("DEBUG", default=False)
DEVELOPMENT = DEBUG or "DEBUG" not in os.environ


def _development_secret_key() -> str:
    # Generated once and kept out of git, so sessions survive restarts in development.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="").strip()  # a file's last newline is no part of it
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Transport security. Cookies are secure in a deployment (DEBUG=false); the rest is switched on
# by the production environment documented in the README ("Deploying for a team").
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    # Only behind a proxy that sets X-Forwarded-Proto itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEVELOPMENT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEVELOPMENT)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts only from our origin or with the request's nonce,
# so no inline script, and no model output, can run. htmx is served from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        # htmx injects its indicator style at load; styles cannot run code.
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "assistants_app",
    "engine",
    "engine.files",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "assistants_app.middleware.FirstRunMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication into a page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assistants_app.context_processors.csp_nonce",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL (postgres://...) for the team deployment.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with the threads of a process taking turns to write (dashboard/sqlite3).
    DATABASES["default"]["ENGINE"] = "dashboard.sqlite3"
    # The web process and the worker both write: WAL, a busy timeout and IMMEDIATE
    # transactions keep "database is locked" away under concurrent load.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
    # A file, not :memory:, so the live server, the worker thread and the tests share it.
    # Per process, so that several test runs on one machine never share a test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
    # Kept by a thread between requests where threads are reused (gunicorn.conf.py sets it).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
elif env.bool("DATABASE_POOL", default=False):
    # Under ASGI (`make serve` sets this) a process may run many requests at once, each on a
    # thread (dashboard/asgi.py): borrow from a pool per process, which bounds the connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.int("DATABASE_POOL_SIZE", default=20),
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses further tries once locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): this many failures for one username from one address lock
# that pair out for AXES_COOLOFF_MINUTES; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a proxy, the client address is the last hop the proxy appends.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development whitenoise serves static files straight from their folders, edits included,
# with no collectstatic (it does so by default only when DEBUG is on).
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEVELOPMENT

# Background work: django-tasks API, stored in the database and run by `db_worker`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # django-axes logs every reset of a failure count at INFO; only its warnings matter.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

# Port the README's server listens on; the built-in connection reaches the engine there.
PORT = env.int("PORT", default=8000)
ENGINE_BASE_URL = env.str("ENGINE_BASE_URL", default=f"http://127.0.0.1:{PORT}/v1")
# The dashboard calls the engine at ENGINE_BASE_URL on this same server (loopback, plain HTTP):
# that host is always allowed, and /v1 is never redirected to HTTPS (API clients do not follow
# redirects of a POST; TLS ends at the proxy in front).
_engine_host = urlsplit(ENGINE_BASE_URL).hostname or ""
_engine_host = f"[{_engine_host}]" if ":" in _engine_host else _engine_host
if _engine_host and "*" not in ALLOWED_HOSTS and _engine_host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_engine_host)
SECURE_REDIRECT_EXEMPT = [r"^v1/"]

# Fernet keys for secrets at rest (first encrypts, all decrypt); derived from SECRET_KEY if unset.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- Providers (engine/providers) -------------------------------------------------------------
# The built-in engine runs every model on the offline demo unless a chat-completions endpoint
# is configured; see the README's "Using a real model".
ENGINE_CHAT_BASE_URL = env.str("ENGINE_CHAT_BASE_URL", default="")  # e.g. https://api.openai.com/v1
ENGINE_CHAT_API_KEY = env.str("ENGINE_CHAT_API_KEY", default="").strip()
ENGINE_CHAT_MODELS = env.list("ENGINE_CHAT_MODELS", default=[])  # empty: ask the server's /models
ENGINE_CHAT_AZURE_API_VERSION = env.str("ENGINE_CHAT_AZURE_API_VERSION", default="")
ENGINE_CHAT_TIMEOUT = env.float("ENGINE_CHAT_TIMEOUT", default=60.0)  # seconds
ENGINE_CHAT_MAX_RETRIES = env.int("ENGINE_CHAT_MAX_RETRIES", default=2)  # on 429/5xx/no connection
# A model name nobody serves: "auto" (the demo until a provider exists, then "model not
# found"), "demo", "none" (refuse), "chat-completions" (send it to ENGINE_CHAT_BASE_URL as is).
# The Models page's setting, when not automatic, wins.
ENGINE_FALLBACK_PROVIDER = env.str("ENGINE_FALLBACK_PROVIDER", default="auto")
# --- end Providers ----------------------------------------------------------------------------

# --- Dashboard (assistants_app) ---------------------------------------------------------------
# Run-status polling shares one backend call per run between everyone watching it, through this
# cache. The default (local memory) is shared by the threads of one process, which suits
# `make run`; a deployment with several web processes sets CACHE_URL to a shared cache, e.g.
# redis://127.0.0.1:6379/1, or dbcache://dashboard_cache after `manage.py createcachetable`.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://assistant-studio")}
# Seconds a run's status, once fetched, is served to every viewer before the backend is asked again.
DASHBOARD_RUN_STATUS_TTL = env.float("DASHBOARD_RUN_STATUS_TTL", default=0.2)
# Messages shown at once on a thread page; earlier ones load on demand.
DASHBOARD_MESSAGES_PAGE = env.int("DASHBOARD_MESSAGES_PAGE", default=20)
# --- end Dashboard ----------------------------------------------------------------------------

# --- Engine (engine/: the built-in Assistants API v2 server) ----------------------------------
# A worker's claim on a run lasts this long and is renewed while it works; a run whose worker
# died is retried once the lease runs out (then failed with server_error).
ENGINE_RUN_LEASE_SECONDS = env.float("ENGINE_RUN_LEASE_SECONDS", default=30.0)
# A run waiting on tool outputs expires this long after it started waiting (the API: 10 min).
ENGINE_RUN_TTL_SECONDS = env.int("ENGINE_RUN_TTL_SECONDS", default=600)
# Runs one worker process executes at once (each in its own thread).
ENGINE_WORKER_THREADS = env.int("ENGINE_WORKER_THREADS", default=8)
# The worker sleeps until woken by a datagram on loopback; this is its fallback poll (seconds).
ENGINE_WORKER_POLL_SECONDS = env.float("ENGINE_WORKER_POLL_SECONDS", default=0.5)
# Host the wake-up datagrams travel on; processes on other hosts fall back to polling.
ENGINE_WAKE_HOST = env.str("ENGINE_WAKE_HOST", default="127.0.0.1")
# `openai-poll-after-ms` on responses for runs still moving (the SDK's pollers honour it).
ENGINE_POLL_AFTER_MS = env.int("ENGINE_POLL_AFTER_MS", default=100)
# For this long after a run is queued, the SDK's pollers' retrieves wait for it to finish (woken
# by the worker) instead of answering "in progress" and sleeping the hint above.
ENGINE_RUN_WAIT_MS = env.int("ENGINE_RUN_WAIT_MS", default=500)
# Requests one engine API key may make per window (429 with Retry-After beyond); 0: no limit.
# Counted in the default cache, so several web processes need a shared CACHE_URL.
ENGINE_RATE_LIMIT_REQUESTS = env.int("ENGINE_RATE_LIMIT_REQUESTS", default=1200)
ENGINE_RATE_LIMIT_WINDOW_SECONDS = env.int("ENGINE_RATE_LIMIT_WINDOW_SECONDS", default=60)
# --- end Engine -------------------------------------------------------------------------------

# --- Engine files (engine/files: files, vector stores, file_search, code_interpreter) ---------
# Largest upload accepted by POST /v1/files, in bytes (the API allows 512 MB).
ENGINE_FILE_MAX_BYTES = env.int("ENGINE_FILE_MAX_BYTES", default=512 * 1024 * 1024)
# An ingestion nobody has touched for this long (its worker died) is queued again when seen.
ENGINE_FILE_INGEST_STALE_SECONDS = env.int("ENGINE_FILE_INGEST_STALE_SECONDS", default=600)
# Hybrid search: "auto" embeds chunks and queries with the chat provider's /embeddings when it
# has one (ENGINE_CHAT_BASE_URL); "off" keeps search lexical.
ENGINE_EMBEDDINGS = env.str("ENGINE_EMBEDDINGS", default="auto")
ENGINE_EMBEDDING_MODEL = env.str("ENGINE_EMBEDDING_MODEL", default="text-embedding-3-small")
# Results file_search gives the model when the assistant does not say (the API: 20).
ENGINE_FILE_SEARCH_MAX_RESULTS = env.int("ENGINE_FILE_SEARCH_MAX_RESULTS", default=20)
# code_interpreter: "sandbox" (bubblewrap isolation, refused when bwrap is missing), "off", or
# "unsandboxed-dev" (NO isolation: model-written code runs as the server; development only).
ENGINE_CODE_INTERPRETER_MODE = env.str("ENGINE_CODE_INTERPRETER_MODE", default="sandbox")
ENGINE_SANDBOX_BWRAP = env.str("ENGINE_SANDBOX_BWRAP", default="bwrap")
# Per-thread working folders (/mnt/data in the sandbox) and the sandbox's caches.
ENGINE_SANDBOX_DIR = Path(env.str("ENGINE_SANDBOX_DIR", default=str(DATA_DIR / "sandbox")))
# Limits of one execution: CPU seconds, wall-clock seconds, address space, processes, file size.
ENGINE_SANDBOX_CPU_SECONDS = env.int("ENGINE_SANDBOX_CPU_SECONDS", default=30)
ENGINE_SANDBOX_WALL_SECONDS = env.float("ENGINE_SANDBOX_WALL_SECONDS", default=60.0)
ENGINE_SANDBOX_MEMORY_MB = env.int("ENGINE_SANDBOX_MEMORY_MB", default=1024)
ENGINE_SANDBOX_MAX_PROCESSES = env.int("ENGINE_SANDBOX_MAX_PROCESSES", default=32)
ENGINE_SANDBOX_MAX_FILE_MB = env.int("ENGINE_SANDBOX_MAX_FILE_MB", default=64)
# Disk quotas: what one run's code may write (files and figures), and a thread's folder in all.
ENGINE_SANDBOX_RUN_MB = env.int("ENGINE_SANDBOX_RUN_MB", default=256)
ENGINE_SANDBOX_FOLDER_MB = env.int("ENGINE_SANDBOX_FOLDER_MB", default=1024)
# When the engine itself runs as root, the code runs as an unprivileged user of its own: one of
# ENGINE_SANDBOX_UIDS user ids from ENGINE_SANDBOX_UID up, one per sandbox running at once (so
# their process limits are apart). The default range is one no Linux distribution allocates.
ENGINE_SANDBOX_UID = env.int("ENGINE_SANDBOX_UID", default=0x70000000)
ENGINE_SANDBOX_UIDS = env.int("ENGINE_SANDBOX_UIDS", default=64)
# --- end Engine files -------------------------------------------------------------------------

# --- Dashboard files (assistants_app: Files and Vector stores pages, uploads) -----------------
# Largest file a person may upload through the dashboard, in bytes (the API allows 512 MB; the
# built-in engine has its own ENGINE_FILE_MAX_BYTES). Checked before anything is sent.
DASHBOARD_FILE_MAX_BYTES = env.int("DASHBOARD_FILE_MAX_BYTES", default=512 * 1024 * 1024)
# Files one upload form takes at once (Django refuses a request with more than
# DATA_UPLOAD_MAX_NUMBER_FILES, 100 by default).
DASHBOARD_FILES_PER_UPLOAD = env.int("DASHBOARD_FILES_PER_UPLOAD", default=20)
# --- end Dashboard files ----------------------------------------------------------------------
