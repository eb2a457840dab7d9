"""CSRF is enforced on every POST of the site, htmx ones included; only the engine's /v1, which
authenticates each request by API key and uses no cookies, is exempt."""

import re

import pytest
from django.test import Client

from tests.support import every_route

pytestmark = pytest.mark.django_db

ROUTES = list(every_route())
DASHBOARD = [(path, view) for path, view in ROUTES if not path.startswith(("/v1/", "/admin/"))]
ADMIN = [
    "/admin/login/",
    "/admin/logout/",
    "/admin/auth/user/add/",
    "/admin/assistants_app/threadrecord/1/change/",
    "/admin/engine/enginekey/add/",
]


def test_the_routes_were_found():
    paths = {path for path, _ in DASHBOARD}
    assert {"/login/", "/threads/1/messages/", "/people/add/", "/threads/1/sharing/"} <= paths
    assert len(DASHBOARD) > 50


def test_only_the_key_authenticated_engine_is_exempt():
    exempt = {path for path, view in ROUTES if getattr(view, "csrf_exempt", False)}
    assert exempt and all(path.startswith("/v1/") for path in exempt)


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_every_post_without_a_token_is_refused(admin_user, htmx):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for path in [path for path, _ in DASHBOARD] + ADMIN:
        response = client.post(path, {"content": "hi", "name": "x"}, **headers)
        assert response.status_code == 403, path
        assert b"CSRF verification failed" in response.content, path


def test_a_wrong_token_is_refused_and_the_right_one_accepted(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/settings/")  # sets the CSRF cookie, as any page does
    token = client.cookies["csrftoken"].value
    url = "/assistants/check-schema/"
    data = {"field": "schema", "schema": '{"type": "object"}'}
    wrong = client.post(url, data, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN="x" * 32)
    assert wrong.status_code == 403
    right = client.post(url, data, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert right.status_code == 200


def test_pages_carry_the_token_for_htmx(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get("/settings/").content.decode()
    header = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page)[1]
    response = client.post(
        "/assistants/check-schema/",
        {"field": "schema", "schema": "{}"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=header,
    )
    assert response.status_code == 200
