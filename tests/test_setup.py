import threading

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from assistants_app.models import Installation

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "ada",
    "email": "ada@example.com",
    "password1": "a-long-unusual-passphrase",
    "password2": "a-long-unusual-passphrase",
}


def test_every_page_leads_to_setup_while_no_user_exists(client):
    for url in ["/", "/login/", "/admin/", "/nowhere/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("setup")


def test_setup_page_shows_the_form(client):
    response = client.get(reverse("setup"))
    assert response.status_code == 200
    assert b"Create the administrator account" in response.content


def test_setup_creates_a_superuser_and_logs_in(client):
    response = client.post(reverse("setup"), GOOD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = get_user_model().objects.get()
    assert user.username == "ada" and user.is_superuser and user.is_staff
    assert Installation.objects.get().created_by == user
    assert client.get(reverse("home")).status_code == 200


def test_weak_password_is_refused_and_form_keeps_input(client):
    response = client.post(
        reverse("setup"), {**GOOD, "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert b"This password is too common" in response.content
    assert b'value="ada@example.com"' in response.content
    assert not get_user_model().objects.exists()


def test_mismatched_passwords_are_refused(client):
    response = client.post(reverse("setup"), {**GOOD, "password2": "something-else-entirely"})
    assert b"The two passwords differ." in response.content
    assert not get_user_model().objects.exists()


def test_invalid_username_and_email_are_refused(client):
    response = client.post(reverse("setup"), {**GOOD, "username": "bad name!", "email": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"username", "email"}


def test_setup_answers_404_once_a_user_exists(client, owner):
    assert client.get(reverse("setup")).status_code == 404
    assert client.post(reverse("setup"), GOOD).status_code == 404
    assert get_user_model().objects.count() == 1


def test_create_administrator_twice_creates_one_account():
    first = Installation.create_administrator(username="a1", email="a1@x.io", password="pw-1")
    second = Installation.create_administrator(username="a2", email="a2@x.io", password="pw-2")
    assert first is not None and second is None
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["a1"]


def test_two_simultaneous_setups_create_one_account(live_server):
    """Two people submit the first-run form at the same moment over real HTTP."""
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def submit(username: str) -> None:
        with httpx.Client(base_url=live_server.url, timeout=30) as http:
            http.get("/setup/")
            token = http.cookies["csrftoken"]
            barrier.wait()
            response = http.post(
                "/setup/",
                data={**GOOD, "username": username, "csrfmiddlewaretoken": token},
                headers={"Referer": live_server.url + "/setup/"},
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=(name,)) for name in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [302, 404]
    assert get_user_model().objects.count() == 1
