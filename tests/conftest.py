"""Shared fixtures: three people (owner, teammate, outsider) and a real Chromium."""

import contextlib
import os
import shutil
import threading
from http.server import ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model

from tests.support import WEATHER_TOOL, EndpointHandler

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# tests themselves are still synchronous, so the async-safety guard would misfire.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


def pytest_unconfigure(config):
    # Django drops this process's SQLite test database but leaves its WAL files behind.
    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if test_name and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{test_name}{suffix}")


@pytest.fixture(autouse=True)
def _fresh_model_routes():
    # The engine caches its routing table for a second; a rolled-back database does not say so.
    from engine import providers

    providers.forget()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at full strength costs ~0.5 s a user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _make_user(username: str, **extra):
    # Everyone made here is a member of the team (the Members role); see assistants_app.roles.
    from assistants_app.roles import set_role

    user = get_user_model().objects.create_user(
        username, f"{username}@example.com", PASSWORD, **extra
    )
    set_role(user, "member")
    return user


@pytest.fixture
def owner(db):
    return _make_user("olivia")


@pytest.fixture
def teammate(db):
    return _make_user("tomas")


@pytest.fixture
def outsider(db):
    # A member of the deployment who neither created nor was shared the object under test.
    return _make_user("oscar")


@pytest.fixture
def admin_user(db):
    from assistants_app.roles import set_role

    user = get_user_model().objects.create_superuser("ada", "ada@example.com", PASSWORD)
    set_role(user, "administrator")
    return user


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# --- Provider fixtures (engine/providers) -----------------------------------------------------


@pytest.fixture
def chat_server():
    """A local chat-completions server (tests/fakes/chat_server.py), started and stopped."""
    from tests.fakes.chat_server import FakeChatServer

    server = FakeChatServer(models=["fake-model"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chat_model(settings, chat_server) -> str:
    """A model name the engine routes to `chat_server`: short timeout, no retries."""
    settings.ENGINE_CHAT_BASE_URL = chat_server.base_url
    settings.ENGINE_CHAT_API_KEY = "sk-test-not-a-real-key"
    settings.ENGINE_CHAT_MODELS = ["fake-model"]
    settings.ENGINE_CHAT_AZURE_API_VERSION = ""
    settings.ENGINE_CHAT_TIMEOUT = 2.0
    settings.ENGINE_CHAT_MAX_RETRIES = 0
    return "fake-model"


# --- end Provider fixtures --------------------------------------------------------------------


# --- Engine fixtures (engine/) ----------------------------------------------------------------


@pytest.fixture
def engine_url(live_server) -> str:
    """The built-in engine's base URL on the live server (what the SDK's base_url takes)."""
    return live_server.url + "/v1"


@pytest.fixture
def engine_key(transactional_db) -> str:
    """A raw engine API key (stored hashed, like any key made with `engine_key create`)."""
    from engine.models import EngineKey

    return EngineKey.issue("tests")[1]


@pytest.fixture
def engine_worker(transactional_db):
    """The engine's worker in a background thread of the test process, stopped cleanly."""
    from engine.worker import start_in_thread

    worker, thread = start_in_thread(threads=4, poll=0.2)
    yield worker
    worker.stop()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the engine worker did not stop"


@pytest.fixture
def openai_client(engine_url, engine_key):
    """The official openai SDK pointed at the built-in engine (no retries: errors surface)."""
    from openai import OpenAI

    with OpenAI(base_url=engine_url, api_key=engine_key, max_retries=0, timeout=30) as client:
        yield client


# --- end Engine fixtures ----------------------------------------------------------------------


# --- Dashboard fixtures: the dashboard talks to the built-in engine over real HTTP -------------


@pytest.fixture
def engine(live_server, settings, engine_worker) -> str:
    """The built-in connection pointed at the live server's /v1, with runs progressing."""
    from django.core.cache import cache

    settings.ENGINE_BASE_URL = live_server.url + "/v1"
    cache.clear()  # run statuses and model lists from another test's engine must not leak
    yield settings.ENGINE_BASE_URL
    cache.clear()


@pytest.fixture
def api(engine):
    """The dashboard's own client for the built-in connection, to set up and check state."""
    from assistants_app.models import Connection
    from assistants_app.services import client_for

    return client_for(Connection.objects.default())


@pytest.fixture
def weather_assistant(api):
    """An assistant on the demo model with one function tool (tests.support.WEATHER_TOOL)."""
    return api.assistants.create(model="demo", name="Weather helper", tools=[WEATHER_TOOL])


@pytest.fixture
def make_thread(api, request):
    """make_thread(user, assistant=weather_assistant, *, title, sharing) -> a ThreadRecord owned
    by user, with a real thread on the engine."""
    from assistants_app.models import Connection, ThreadRecord

    def make(user, assistant=None, *, title: str = "", sharing: str = "private"):
        assistant = assistant or request.getfixturevalue("weather_assistant")
        return ThreadRecord.objects.create(
            connection=Connection.objects.default(),
            thread_id=api.threads.create().id,
            owner=user,
            assistant_id=assistant.id,
            assistant_name=assistant.name or "",
            title=title,
            sharing=sharing,
        )

    return make


@pytest.fixture
def remote():
    """A function-answering endpoint on a local port (tests.support.EndpointHandler): set its
    `behaviour`, read what it `received`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), EndpointHandler)
    server.received, server.behaviour, server.release = [], "ok", threading.Event()
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


# --- end Dashboard fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_root(tmp_path_factory):
    return tmp_path_factory.mktemp("sandbox")


@pytest.fixture
def isolated_file_storage(settings, tmp_path, sandbox_root):
    """Uploads and sandbox folders under pytest's temporary folders; lexical search only; the
    code interpreter in its real sandbox."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ENGINE_SANDBOX_DIR = sandbox_root
    settings.ENGINE_EMBEDDINGS = "off"
    settings.ENGINE_CODE_INTERPRETER_MODE = "sandbox"
