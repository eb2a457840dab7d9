import re

import pytest
from django.db import DatabaseError
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_pages_require_login(client, owner):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_and_logout(client, owner):
    response = client.post(reverse("login"), {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert b"olivia" in page.content
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused(client, owner):
    response = client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_admin_link_only_for_staff(client, owner, admin_user):
    client.force_login(owner)
    assert b'href="/admin/"' not in client.get(reverse("home")).content
    assert client.get("/admin/").status_code == 302  # a member is sent to the admin login
    client.force_login(admin_user)
    assert b'href="/admin/"' in client.get(reverse("home")).content
    assert client.get("/admin/").status_code == 200


def test_base_layout_carries_csrf_header_and_vendored_htmx(client, owner):
    client.force_login(owner)
    html = client.get(reverse("home")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "/static/django_htmx/htmx-2.min.js" in html
    # Every script, style and image comes from this server (a CSRF token may spell "cdn").
    loaded = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]*)"', html)
    assert loaded and all(url.startswith("/") and not url.startswith("//") for url in loaded)


def test_healthz_without_login(client, owner):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_while_no_user_exists(client):
    assert client.get("/healthz").status_code == 200


def test_healthz_503_when_database_fails(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise DatabaseError("database is down")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_login_is_throttled_after_repeated_failures(client, owner, teammate, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "olivia", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed attempts" in locked.content
    assert "_auth_user_id" not in client.session
    # Another person signing in from the same address is not locked out.
    other = client.post(reverse("login"), {"username": "tomas", "password": PASSWORD})
    assert other.status_code == 302


def test_a_success_resets_the_failure_count(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "olivia", "password": PASSWORD}).status_code
        == 302
    )
    client.post(reverse("logout"))
    for _ in range(2):
        client.post(reverse("login"), {"username": "olivia", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "olivia", "password": PASSWORD}).status_code
        == 302
    )
