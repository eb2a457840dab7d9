"""Every dashboard page in Chromium, as an administrator with data present (an assistant, a
thread with messages, a thread waiting on a function call, a file, a vector store, a person, a
connection, an engine key, an endpoint, a saved reply): at 1366 px and 390 px, light and dark.
On each: no console error and no failed request, nothing wider than the screen, and axe-core
(the npm package, installed by `make test` into .cache/axe) finds no serious or critical
violation.

The pages come from the URL resolver: a URL name that is neither walked (PAGES) nor said to be
something else (NOT_PAGES, checked too) fails the test, so a new page cannot go unwalked.

SHOTS=/some/folder saves a full-page screenshot of every page in every mode there."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Browser, Page, expect

from engine.models import EngineKey, ModelAlias, ModelProvider
from tests.browser.support import sign_in
from tests.support import WEATHER_TOOL, upload_to_library

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / ".cache/axe/node_modules/axe-core/axe.min.js"
MODES = [(1366, 900, "light"), (1366, 900, "dark"), (390, 844, "light"), (390, 844, "dark")]
LONG_TITLE = (
    "Planning the quarterly offsite in Lisbon with the whole platform team, "
    "budget, travel and the agenda for both days"
)


@dataclass
class Data:
    admin: object
    person: object
    assistant: object
    thread: object
    run_id: str
    waiting_thread: object
    file_id: str
    store_id: str
    connection: object
    endpoint: object
    reply: object
    provider: object


# Pages a person opens, by URL name: how to fill the URL from the data (the key "?" is the
# query string).
PAGES: dict[str, Callable[[Data], dict]] = {
    "home": lambda d: {},
    "settings": lambda d: {},
    "assistant_list": lambda d: {},
    "assistant_create": lambda d: {},
    "assistant_import": lambda d: {},
    "assistant_edit": lambda d: {"assistant_id": d.assistant.id},
    "assistant_delete": lambda d: {"assistant_id": d.assistant.id},
    "assistant_history": lambda d: {"assistant_id": d.assistant.id},
    "assistant_answering": lambda d: {"assistant_id": d.assistant.id},
    "thread_list": lambda d: {},
    "thread_create": lambda d: {"?": f"assistant={d.assistant.id}"},
    "thread_detail": lambda d: {"pk": d.thread.pk},
    "thread_rename": lambda d: {"pk": d.thread.pk},
    "thread_delete": lambda d: {"pk": d.thread.pk},
    "run_steps": lambda d: {"pk": d.thread.pk, "run_id": d.run_id},
    "file_list": lambda d: {},
    "file_delete": lambda d: {"file_id": d.file_id},
    "vector_store_list": lambda d: {},
    "vector_store_create": lambda d: {},
    "vector_store_detail": lambda d: {"store_id": d.store_id},
    "vector_store_delete": lambda d: {"store_id": d.store_id},
    "people_list": lambda d: {},
    "person_add": lambda d: {},
    "person_detail": lambda d: {"pk": d.person.pk},
    "password_change": lambda d: {},
    "connection_list": lambda d: {},
    "connection_add": lambda d: {},
    "connection_edit": lambda d: {"pk": d.connection.pk},
    "connection_delete": lambda d: {"pk": d.connection.pk},
    "engine_key_list": lambda d: {},
    "waiting_list": lambda d: {},
    "reply_list": lambda d: {},
    "reply_edit": lambda d: {"reply_pk": d.reply.pk},
    "endpoint_list": lambda d: {},
    "endpoint_add": lambda d: {},
    "endpoint_edit": lambda d: {"pk": d.endpoint.pk},
    "model_list": lambda d: {},
    "provider_add": lambda d: {},
    "provider_edit": lambda d: {"pk": d.provider.pk},
    "provider_delete": lambda d: {"pk": d.provider.pk},
    "usage_page": lambda d: {},
}
# Pages seen signed out (walked in a context of their own).
ANONYMOUS_PAGES = {"login", "set_password", "setup"}
# Everything else the resolver knows, and what it is instead of a page (checked below).
POST = "post"  # a form's action: a GET answers 405
FRAGMENT = "fragment"  # polled or swapped in by htmx: no <html> of its own
DOWNLOAD = "download"  # a file's bytes
JSON = "json"
REDIRECT = "redirect"  # somewhere else (a page of the list above)
NOT_PAGES: dict[str, tuple[str, Callable[[Data], dict]]] = {
    "healthz": (JSON, lambda d: {}),
    "logout": (POST, lambda d: {}),
    "assistant_check_schema": (POST, lambda d: {}),
    "assistant_duplicate": (POST, lambda d: {"assistant_id": d.assistant.id}),
    "assistant_export": (DOWNLOAD, lambda d: {"assistant_id": d.assistant.id}),
    "assistant_restore": (POST, lambda d: {"assistant_id": d.assistant.id, "pk": 1}),
    "thread_send": (POST, lambda d: {"pk": d.thread.pk}),
    "thread_sharing": (POST, lambda d: {"pk": d.thread.pk}),
    "thread_earlier": (FRAGMENT, lambda d: {"pk": d.thread.pk}),
    "thread_search": (FRAGMENT, lambda d: {}),
    "thread_regenerate": (POST, lambda d: {"pk": d.thread.pk}),
    "message_edit": (POST, lambda d: {"pk": d.thread.pk, "message_id": "msg_x"}),
    "thread_export": (DOWNLOAD, lambda d: {"pk": d.thread.pk, "fmt": "md"}),
    "assistant_try": (POST, lambda d: {"assistant_id": d.assistant.id}),
    "assistant_try_new": (POST, lambda d: {"assistant_id": d.assistant.id}),
    "assistant_try_keep": (POST, lambda d: {"assistant_id": d.assistant.id}),
    "assistant_try_open": (REDIRECT, lambda d: {"assistant_id": d.assistant.id}),
    "usage_csv": (DOWNLOAD, lambda d: {}),
    "budget_set": (POST, lambda d: {}),
    "budget_delete": (POST, lambda d: {"pk": 1}),
    "run_status": (FRAGMENT, lambda d: {"pk": d.thread.pk, "run_id": d.run_id}),
    "run_retry": (POST, lambda d: {"pk": d.thread.pk}),
    "run_cancel": (POST, lambda d: {"pk": d.thread.pk, "run_id": d.run_id}),
    "run_submit_outputs": (POST, lambda d: {"pk": d.thread.pk, "run_id": d.run_id}),
    "file_upload": (POST, lambda d: {}),
    "file_content": (DOWNLOAD, lambda d: {"file_id": d.file_id}),
    "thread_file": (DOWNLOAD, lambda d: {"pk": d.thread.pk, "file_id": d.file_id}),
    "vector_store_status": (FRAGMENT, lambda d: {"store_id": d.store_id}),
    "vector_store_add_files": (POST, lambda d: {"store_id": d.store_id}),
    "vector_store_remove_file": (POST, lambda d: {"store_id": d.store_id, "file_id": d.file_id}),
    "person_role": (POST, lambda d: {"pk": d.person.pk}),
    "person_active": (POST, lambda d: {"pk": d.person.pk}),
    "person_link": (POST, lambda d: {"pk": d.person.pk}),
    "connection_default": (POST, lambda d: {"pk": d.connection.pk}),
    "connection_test": (POST, lambda d: {"pk": d.connection.pk}),
    "engine_key_create": (POST, lambda d: {}),
    "engine_key_revoke": (POST, lambda d: {"key_id": EngineKey.objects.get().pk}),
    "engine_key_access": (POST, lambda d: {"key_id": EngineKey.objects.get().pk}),
    "waiting_count": (FRAGMENT, lambda d: {}),
    "waiting_answer": (POST, lambda d: _waiting_kwargs(d)),
    "waiting_claim": (POST, lambda d: _waiting_kwargs(d)),
    "waiting_active": (POST, lambda d: _waiting_kwargs(d)),
    "waiting_call_help": (FRAGMENT, lambda d: {**_waiting_kwargs(d), "call_id": _call_id(d)}),
    "reply_save": (POST, lambda d: _waiting_kwargs(d)),
    "reply_delete": (POST, lambda d: {"reply_pk": d.reply.pk}),
    "endpoint_delete": (POST, lambda d: {"pk": d.endpoint.pk}),
    "endpoint_test": (POST, lambda d: {"pk": d.endpoint.pk}),
    "provider_test": (POST, lambda d: {"pk": d.provider.pk}),
    "provider_refresh": (POST, lambda d: {"pk": d.provider.pk}),
    "provider_model_add": (POST, lambda d: {"pk": d.provider.pk}),
    "model_toggle": (POST, lambda d: {"pk": d.provider.offered.get().pk}),
    "model_delete": (POST, lambda d: {"pk": d.provider.offered.get().pk}),
    "alias_add": (POST, lambda d: {}),
    "alias_delete": (POST, lambda d: {"pk": ModelAlias.objects.get().pk}),
    "unknown_models_set": (POST, lambda d: {}),
}


def _waiting_kwargs(d: Data) -> dict:
    return {"pk": d.waiting_thread.pk, "run_id": d.waiting_thread.runs.get().run_id}


def _call_id(d: Data) -> str:
    return d.waiting_thread.runs.get().waiting.calls[0]["id"]


def page_url(name: str, data: Data) -> str:
    kwargs = PAGES[name](data)
    query = kwargs.pop("?", "")
    return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")


def dashboard_url_names() -> set[str]:
    """Every named URL of the site outside the admin and the engine's /v1."""
    names: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                route = prefix + str(entry.pattern)
                if route.startswith(("admin/", "v1/")):
                    continue
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and entry.name:
                names.add(entry.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_page_is_walked_or_said_to_be_no_page():
    known = set(PAGES) | ANONYMOUS_PAGES | set(NOT_PAGES)
    names = dashboard_url_names()
    assert not names - known, f"pages nobody walks: add them to PAGES or NOT_PAGES: {names - known}"
    assert not known - names, f"walked pages that no longer exist: {known - names}"


# --- the data -------------------------------------------------------------------------------


@pytest.fixture
def data(admin_user, teammate, api, make_thread, settings, tmp_path) -> Data:
    from assistants_app import audit, waiting
    from assistants_app.models import Connection, FileRecord, RunRecord, ThreadFile
    from assistants_app.waiting_models import Endpoint, SavedReply
    from engine import model_admin

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ENGINE_EMBEDDINGS = "off"
    assistant = api.assistants.create(
        model="demo",
        name="Weather helper",
        description="Answers questions about the weather, asking us for the forecast.",
        instructions="Be brief.",
        tools=[WEATHER_TOOL, {"type": "file_search"}],
    )
    # Its history: created, then changed (as the builder records them).
    audit.assistant_saved(Connection.objects.default(), admin_user, None, assistant)
    changed = api.assistants.update(assistant.id, instructions="Be brief and friendly.")
    audit.assistant_saved(Connection.objects.default(), admin_user, assistant, changed)
    # Uploaded on the Files page, so that they are the team library's (offered in pickers).
    upload_to_library(
        admin_user,
        SimpleUploadedFile("handbook.txt", b"Our offices open at nine.\n"),
        SimpleUploadedFile("a-rather-long-file-name-for-the-quarterly-report.csv", b"a,b\n1,2\n"),
    )
    uploaded = api.files.retrieve(FileRecord.objects.get(filename="handbook.txt").file_id)
    store = api.vector_stores.create(name="Handbook", file_ids=[uploaded.id])

    thread = make_thread(admin_user, assistant, title=LONG_TITLE)
    api.threads.messages.create(
        thread.thread_id,
        role="user",
        content="Show me **Markdown** and a bit of Python.",
        attachments=[{"file_id": uploaded.id, "tools": [{"type": "file_search"}]}],
    )
    ThreadFile.note(thread, {uploaded.id: "handbook.txt"})
    api.threads.messages.create(
        thread.thread_id,
        role="assistant",
        content="Here it is:\n\n```python\ndef greet(name):\n    return f'Hello {name}'\n```\n\n"
        "| City | Weather |\n| --- | --- |\n| Lisbon | sunny |\n",
    )
    api.threads.messages.create(thread.thread_id, role="user", content="Thanks! And hello?")
    run = api.threads.runs.create_and_poll(thread.thread_id, assistant_id=assistant.id)
    assert run.status == "completed", run
    RunRecord.objects.create(
        thread=thread,
        run_id=run.id,
        assistant_id=assistant.id,
        started_by=admin_user,
        status="completed",
    )

    asking = make_thread(admin_user, assistant, title="Weather in Paris")
    api.threads.messages.create(asking.thread_id, role="user", content="get_weather city=Paris")
    waiting_run = api.threads.runs.create_and_poll(asking.thread_id, assistant_id=assistant.id)
    assert waiting_run.status == "requires_action", waiting_run
    record = RunRecord.objects.create(
        thread=asking,
        run_id=waiting_run.id,
        assistant_id=assistant.id,
        started_by=admin_user,
        status="requires_action",
    )
    waiting.note_run(record, waiting_run)

    connection = Connection.objects.create(
        name="Staging server",
        kind=Connection.Kind.OPENAI,
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-staging-not-real",
        created_by=admin_user,
    )
    EngineKey.issue("CI pipeline", created_by=admin_user)
    endpoint = Endpoint.objects.create(
        name="Weather service", url="http://127.0.0.1:9/answer", created_by=admin_user
    )
    reply = SavedReply.objects.create(
        connection=Connection.objects.default(),
        assistant_id=assistant.id,
        function_name="get_weather",
        name="Sunny",
        text='{"temperature": 21, "sky": "clear"}',
        created_by=admin_user,
    )
    # A model provider (after the runs above, which the demo answered).
    provider = ModelProvider.objects.create(name="Local Ollama", base_url="http://127.0.0.1:9/v1")
    model_admin.add_model(provider.pk, "llama3.2")
    model_admin.add_alias("gpt-4*", "llama3.2")
    return Data(
        provider=provider,
        admin=admin_user,
        person=teammate,
        assistant=assistant,
        thread=thread,
        run_id=run.id,
        waiting_thread=asking,
        file_id=uploaded.id,
        store_id=store.id,
        connection=connection,
        endpoint=endpoint,
        reply=reply,
    )


# --- the walk -------------------------------------------------------------------------------


class Watch:
    """Console errors and failed requests of a page, since the last `take()`."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        self.expected_status: dict[str, int] = {}
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message) -> None:
        # A page answering 404 on purpose says so in the console: that is the page itself.
        if message.type == "error" and message.location.get("url") not in self.expected_status:
            self.problems.append(f"console error: {message.text} ({message.location.get('url')})")

    def _failed(self, request) -> None:
        # A navigation that replaces a page still polling aborts its requests: not a failure.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response) -> None:
        expected = self.expected_status.get(response.url)
        if response.status >= 400 and response.status != expected:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


def axe_violations(page: Page) -> list[str]:
    # page.evaluate runs outside the page's Content-Security-Policy (which refuses inline
    # scripts, so add_script_tag would need bypass_csp, and the walk would no longer see the
    # policy's own errors).
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(
               v => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"""
    )
    return [
        f"axe {v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


# The elements that stick out on the right, outermost first (those inside a box that clips
# them are not counted): the message names the first few.
WIDEST = """() => {
  const clipped = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className.trim()
      ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth && !clipped(e))
    .slice(0, 4).map(name);
}"""


# aria-labelledby and aria-controls naming an id that no element has.
DANGLING = """() => [...document.querySelectorAll('[aria-labelledby], [aria-controls]')]
  .flatMap(e => ['aria-labelledby', 'aria-controls'].flatMap(a =>
    (e.getAttribute(a) || '').split(/\\s+/).filter(id => id && !document.getElementById(id))
      .map(id => `${e.tagName.toLowerCase()} ${a}="${id}"`))).slice(0, 3)"""


def check(page: Page, watch: Watch, label: str, url: str, *, status: int = 200) -> list[str]:
    """Open url in the page's current mode; the problems found, each saying where."""
    watch.expected_status = {url: status} if status != 200 else {}
    response = page.goto(url)
    assert response is not None
    problems = []
    if response.status != status:
        problems.append(f"answered HTTP {response.status}, not {status}")
    page.wait_for_load_state("load")
    problems += axe_violations(page)
    overflow = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    if overflow[0] > overflow[1]:
        wide = page.evaluate(WIDEST)
        problems.append(f"{overflow[0]} px wide in a {overflow[1]} px screen: {wide}")
    dangling = page.evaluate(DANGLING)
    if dangling:
        problems.append(f"ARIA references to no element: {dangling}")
    # Template syntax shown as text: a {# comment #} spread over lines, an unknown tag.
    leaked = page.evaluate(
        "() => (document.body.innerText.match(/\\{[#%{][^\\n]{0,60}/g) || []).slice(0, 2)"
    )
    if leaked:
        problems.append(f"template text shown on the page: {leaked}")
    if shots := os.environ.get("SHOTS"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/{label}.png", full_page=True)
    # Errors logged while the page was checked (a poll that failed) count too.
    problems += watch.take()
    return [f"{label} {url}: {problem}" for problem in problems]


def walk(page: Page, pages: list[tuple[str, str, int]]) -> list[str]:
    watch = Watch(page)
    problems: list[str] = []
    for width, height, scheme in MODES:
        page.set_viewport_size({"width": width, "height": height})
        page.emulate_media(color_scheme=scheme)
        for name, url, status in pages:
            problems += check(page, watch, f"{name}-{width}-{scheme}", url, status=status)
    return problems


@pytest.fixture(autouse=True)
def _axe_installed():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm install --prefix .cache/axe)")


def test_every_page_at_both_widths_in_light_and_dark(
    browser: Browser, live_server, data: Data, monkeypatch
):
    base = live_server.url
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)

    uid = urlsafe_base64_encode(force_bytes(data.person.pk))
    token = default_token_generator.make_token(data.person)
    anonymous = [
        ("login", base + reverse("login"), 200),
        ("set_password", base + reverse("set_password", args=[uid, token]), 200),
        ("not-found", base + "/no-such-page/", 404),
    ]
    problems = walk(page, anonymous)

    from assistants_app.models import Installation

    monkeypatch.setattr(Installation, "needs_setup", classmethod(lambda cls: True))
    problems += walk(page, [("setup", base + reverse("setup"), 200)])
    monkeypatch.undo()

    sign_in(page, base, data.admin.username, timeout_ms=20_000)
    pages = [(name, base + page_url(name, data), 200) for name in PAGES]
    pages.append(("thread_detail-waiting", base + data.waiting_thread.get_absolute_url(), 200))
    problems += walk(page, pages)
    context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_what_is_not_a_page_is_not_one(client, data: Data):
    """NOT_PAGES says each of these is no page: a GET gets 405, a fragment, a file or JSON."""
    client.force_login(data.admin)
    wrong = []
    for name, (kind, kwargs) in NOT_PAGES.items():
        url = reverse(name, kwargs=kwargs(data))
        response = client.get(url, headers={"HX-Request": "true"} if kind == FRAGMENT else {})
        body = b"" if kind == DOWNLOAD else response.content
        if kind == POST and response.status_code != 405:
            wrong.append(f"{name}: GET answered {response.status_code}, not 405")
        elif kind == FRAGMENT and (response.status_code >= 400 or b"<html" in body):
            wrong.append(f"{name}: not a fragment ({response.status_code})")
        elif kind == DOWNLOAD and "attachment" not in response.get("Content-Disposition", ""):
            wrong.append(f"{name}: no attachment ({response.status_code})")
        elif kind == JSON and response["Content-Type"] != "application/json":
            wrong.append(f"{name}: not JSON")
        elif kind == REDIRECT and response.status_code != 302:
            wrong.append(f"{name}: GET answered {response.status_code}, not a redirect")
    assert not wrong, wrong


def test_every_page_names_an_svg_icon_that_is_served(page: Page, live_server, admin_user):
    """Browsers ask for /favicon.ico (a 404) unless the page names its icon."""
    page.goto(live_server.url + "/login/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert href and href.endswith(".svg"), href
    response = page.request.get(live_server.url + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.body()


def test_every_icon_named_in_a_template_is_in_the_sprite():
    from django.conf import settings

    root = Path(settings.BASE_DIR)
    sprite = (root / "static/vendor/lucide/sprite.svg").read_text()
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', sprite))
    named = {
        (path.relative_to(root).as_posix(), name)
        for path in (root / "templates").rglob("*.html")
        for name in re.findall(r'"includes/icon\.html" with name="([\w-]+)"', path.read_text())
    }
    assert named, "no template names an icon"
    assert not {(path, name) for path, name in named if name not in symbols}
