"""Every dashboard URL sends an anonymous visitor to the login page, GET and POST alike; the few
public ones are listed here. The admin and the engine's /v1 have their own checks (tested in
tests/engine/test_admin.py and tests/engine/test_auth_and_errors.py)."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from tests.support import every_route

pytestmark = pytest.mark.django_db

PUBLIC = {
    "/login/",
    "/healthz",
    "/setup/",  # first-run setup: it makes the first account
    "/set-password/x/x/",  # a set-password link is the visitor's credential
}
DASHBOARD = [
    (path, view) for path, view in every_route() if not path.startswith(("/v1/", "/admin/"))
]


def test_the_public_pages_are_exactly_these():
    assert {path for path, _ in DASHBOARD} > PUBLIC | {"/threads/1/", "/people/add/"}
    open_views = {path for path, view in DASHBOARD if not getattr(view, "login_required", True)}
    assert open_views == PUBLIC


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_other_page_sends_an_anonymous_visitor_to_login(client, owner, method):
    # `owner` exists, so no page leads to first-run setup instead.
    login = reverse("login")
    let_in = {}
    for path, _ in DASHBOARD:
        if path in PUBLIC:
            continue
        response = getattr(client, method)(path)
        if response.status_code != 302 or response["Location"] != f"{login}?next={quote(path)}":
            let_in[path] = (response.status_code, response.get("Location"))
    assert let_in == {}
