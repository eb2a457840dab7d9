"""The team deployment as the README documents it: gunicorn with uvicorn workers on the ASGI
application (dashboard/gunicorn.conf.py) and `manage.py engine_worker`, in the production
environment (DEBUG off, HTTPS behind a proxy, the database cache), static files collected and
served by whitenoise. Several people sign in and chat at once through it; the dashboard's calls
to the engine on the same server must not deadlock."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
from django.contrib.auth import get_user_model

from assistants_app.roles import set_role
from engine.models import EngineKey
from tests.support import wait_until
from tests.team.served import ROOT, Served
from tests.test_deploy_check import PRODUCTION_ENV

# The SDK marks its Assistants API (beta) deprecated; using it is the point here.
pytestmark = [
    pytest.mark.django_db(transaction=True),
]

HOST = "studio.example.com"
ORIGIN = f"https://{HOST}"
PASSWORD = "a long production passphrase"
PEOPLE = ["amira", "bruno", "chen", "dagny"]


class Deployment(Served):
    """`make serve` and `make worker`, as separate processes on the test database."""

    def __init__(self, tmp: Path) -> None:
        env = {**PRODUCTION_ENV, "STATIC_ROOT": str(tmp / "static")}
        super().__init__(tmp, {**env, "WEB_WORKERS": "2", "LOG_LEVEL": "WARNING"}, "gunicorn-")
        for command in (["collectstatic", "--noinput", "-v0"], ["createcachetable"]):
            self.manage(*command)
        self.web = self.spawn("-m", "gunicorn", "--config", "dashboard/gunicorn.conf.py")
        self.worker = self.spawn("manage.py", "engine_worker", "--threads", "4", "--poll", "0.2")
        self.wait_until_up()

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, timeout=60
        )

    def wait_until_up(self) -> None:
        def healthy() -> bool:
            assert self.web.poll() is None, self.output()  # gunicorn died: no use waiting
            try:
                return httpx.get(self.url + "/healthz", headers=proxied()).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, timeout=30, interval=0.1, message=lambda: f"gunicorn\n{self.output()}")


def proxied() -> dict[str, str]:
    """What the HTTPS proxy in front adds to every request."""
    return {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


class Person:
    """A browser over the proxy: keeps its (Secure) cookies, sends Origin like a browser."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, htmx: bool = False, **kwargs) -> httpx.Response:
        headers = {**proxied(), "Origin": ORIGIN}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if htmx:
            headers |= {"HX-Request": "true", "X-CSRFToken": self.cookies["csrftoken"]}
        response = self.http.request(method, path, headers=headers, **kwargs)
        for raw in response.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            self.cookies[name] = rest.split(";")[0]
        self.http.cookies.clear()  # only the jar above: httpx would drop Secure cookies on http
        return response

    def form(self, path: str, data: dict) -> httpx.Response:
        return self.request("POST", path, data={**data, "csrfmiddlewaretoken": self.token()})

    def token(self) -> str:
        return self.cookies["csrftoken"]

    def chat(self, username: str, assistant_id: str) -> str:
        """Sign in, start a chat, send a message, poll until the answer; the answer's page."""
        login = self.request("GET", "/login/")
        assert login.status_code == 200, login.text[:500]
        signed_in = self.form("/login/", {"username": username, "password": PASSWORD})
        assert signed_in.status_code == 302, signed_in.text[:500]
        # A new chat is stored with its first message.
        sent = self.request(
            "POST",
            "/threads/new/",
            htmx=True,
            data={"assistant_id": assistant_id, "content": f"Hello from {username}"},
        )
        assert sent.status_code == 200, sent.text[:500]
        page = self.request("GET", sent.headers["HX-Redirect"])  # the new chat's own page
        polling = re.search(r'hx-get="(/threads/\d+/runs/run_\w+/status/)', page.text)
        if polling is None:  # answered before the page was asked for
            return page.text
        status_url = polling[1]

        def finished() -> httpx.Response | None:
            polled = self.request("GET", status_url, htmx=True)
            assert polled.status_code in (200, 286), polled.text[:500]
            return polled if polled.status_code == 286 else None

        return wait_until(finished, timeout=30, interval=0.1, message="the run to end").text


@pytest.fixture
def deployment(tmp_path):
    deployment = Deployment(tmp_path)
    yield deployment
    deployment.stop()


def test_several_people_chat_at_once_through_gunicorn(deployment, settings):
    # Hashed as production hashes them (the test settings' fast hasher is not in production).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    for username in PEOPLE:
        set_role(get_user_model().objects.create_user(username, password=PASSWORD), "member")
    _, key = EngineKey.issue("setup")
    with openai.OpenAI(base_url=deployment.url + "/v1", api_key=key, max_retries=0) as api:
        assistant = api.beta.assistants.create(model="demo", name="Greeter")

    with ThreadPoolExecutor(len(PEOPLE)) as pool:
        answers = list(
            pool.map(
                lambda name: Person(deployment.url).chat(name, assistant.id),
                PEOPLE,
            )
        )
    for username, answer in zip(PEOPLE, answers, strict=True):
        assert f"You said: &quot;Hello from {username}&quot;" in answer or (
            f'You said: "Hello from {username}"' in answer
        ), answer[:2000]
    log = deployment.output()
    assert key not in log and "sk-studio-dashboard-" not in log  # no key in any log


def test_static_files_security_headers_and_https_redirect(deployment, owner):
    page = Person(deployment.url).request("GET", "/login/")  # someone exists: no first-run page
    assert page.status_code == 200
    # whitenoise serves the collected files: hashed names, compressed, cached for good.
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text)[1]
    response = httpx.get(
        deployment.url + stylesheet, headers={**proxied(), "Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    # HTTPS only, no framing, scripts only with the request's nonce.
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "nonce-" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert all("Secure" in c for c in page.headers.get_list("set-cookie"))
    # Without the proxy's HTTPS header a page is redirected; /v1 (the dashboard's own calls
    # over loopback, and API clients) is not.
    plain = httpx.get(deployment.url + "/login/", headers={"Host": HOST})
    assert plain.status_code == 301 and plain.headers["Location"] == f"{ORIGIN}/login/"
    api = httpx.get(deployment.url + "/v1/assistants")
    assert api.status_code == 401 and api.json()["error"]["message"]
