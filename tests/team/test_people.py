"""The People page (administrators): add, change role, deactivate, set-password links."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from assistants_app.models import AuditEvent
from assistants_app.roles import role_of
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

NEW = {"username": "nadia", "email": "nadia@example.com", "role": "member"}


def sign_in(client, username: str, password: str) -> bool:
    """Through the login page, as a person does (django-axes needs the request)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def link_in(html: str) -> str:
    return re.search(r'value="(http://testserver/set-password/[^"]+)"', html).group(1)


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_members_get_403_on_every_people_page(request, client, admin_user, who):
    client.force_login(request.getfixturevalue(who))
    target = admin_user.pk
    for name, args in [
        ("people_list", []),
        ("person_add", []),
        ("person_detail", [target]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name, data in [
        ("person_add", {**NEW, "how": "link"}),
        ("person_role", {"role": "member"}),
        ("person_active", {"active": "false"}),
        ("person_link", {}),
    ]:
        args = [] if name == "person_add" else [target]
        assert client.post(reverse(name, args=args), data).status_code == 403, name
    assert not User.objects.filter(username="nadia").exists()
    admin_user.refresh_from_db()
    assert admin_user.is_active and role_of(admin_user) == "administrator"


def test_administrators_see_everyone_with_their_role(client, admin_user, owner):
    client.force_login(admin_user)
    page = client.get(reverse("people_list")).content.decode()
    assert "olivia" in page and "ada" in page
    assert "Member" in page and "Administrator" in page


def test_add_with_a_one_time_link(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("person_add"), {**NEW, "how": "link"})
    assert response.status_code == 201
    link = link_in(response.content.decode())
    person = User.objects.get(username="nadia")
    assert not person.has_usable_password() and role_of(person) == "member"
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERSON_ADDED)
    assert event.actor == admin_user and event.object_label == "nadia"

    # Nadia opens the link, chooses a password, and is signed in.
    client.logout()
    path = link.removeprefix("http://testserver")
    form_page = client.get(path, follow=True)
    assert b"Choose your password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("home")
    assert client.get(reverse("thread_list")).status_code == 200
    # The link worked once.
    client.logout()
    again = client.get(path, follow=True)
    assert b"This link no longer works" in again.content


def test_add_with_a_temporary_password(client, admin_user):
    client.force_login(admin_user)
    data = {**NEW, "role": "administrator", "how": "password", "password": PASSWORD}
    response = client.post(reverse("person_add"), data)
    person = User.objects.get(username="nadia")
    assert response["Location"] == reverse("person_detail", args=[person.pk])
    assert person.check_password(PASSWORD) and role_of(person) == "administrator"
    assert person.is_staff
    client.logout()
    assert sign_in(client, "nadia", PASSWORD)
    assert client.get(reverse("people_list")).status_code == 200


@pytest.mark.parametrize(
    "data,field_error",
    [
        ({**NEW, "how": "password", "password": ""}, "Type the temporary password"),
        ({**NEW, "how": "password", "password": "12345678"}, "This password is too common"),
        ({**NEW, "username": "OLIVIA", "how": "link"}, "Someone already has this username."),
        ({**NEW, "username": "bad name!", "how": "link"}, "Enter a valid username"),
    ],
)
def test_bad_input_is_a_field_error(client, admin_user, owner, data, field_error):
    client.force_login(admin_user)
    response = client.post(reverse("person_add"), data)
    assert response.status_code == 422
    assert field_error in response.content.decode()
    assert not User.objects.filter(username="nadia").exists()


def test_change_role_both_ways_is_audited(client, admin_user, owner):
    client.force_login(admin_user)
    client.post(reverse("person_role", args=[owner.pk]), {"role": "administrator"})
    owner.refresh_from_db()
    assert role_of(owner) == "administrator" and owner.is_staff
    client.post(reverse("person_role", args=[owner.pk]), {"role": "member"})
    owner.refresh_from_db()
    assert role_of(owner) == "member" and not owner.is_staff
    changes = [
        e.changes["role"] for e in AuditEvent.objects.filter(action="role_changed").order_by("pk")
    ]
    assert changes == [["member", "administrator"], ["administrator", "member"]]


def test_an_administrator_cannot_demote_or_deactivate_themselves(client, admin_user):
    client.force_login(admin_user)
    demote = client.post(reverse("person_role", args=[admin_user.pk]), {"role": "member"})
    assert demote.status_code == 422 and b"cannot change your own role" in demote.content
    off = client.post(reverse("person_active", args=[admin_user.pk]), {"active": "false"})
    assert off.status_code == 422 and b"cannot deactivate your own account" in off.content
    admin_user.refresh_from_db()
    assert admin_user.is_active and role_of(admin_user) == "administrator"


def test_deactivation_signs_the_person_out_at_once(client, admin_user, owner):
    from django.test import Client

    olivia = Client()
    olivia.force_login(owner)
    assert olivia.get(reverse("thread_list")).status_code == 200
    client.force_login(admin_user)
    client.post(reverse("person_active", args=[owner.pk]), {"active": "false"})
    owner.refresh_from_db()
    assert not owner.is_active
    assert olivia.get(reverse("thread_list")).status_code == 302  # to the login page
    assert not sign_in(olivia, "olivia", PASSWORD)
    client.post(reverse("person_active", args=[owner.pk]), {"active": "true"})
    assert sign_in(olivia, "olivia", PASSWORD)
    actions = list(
        AuditEvent.objects.filter(object_id=str(owner.pk), actor=admin_user)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["person_deactivated", "person_reactivated"]


def test_a_new_link_for_someone_who_forgot(client, admin_user, owner):
    client.force_login(admin_user)
    response = client.post(reverse("person_link", args=[owner.pk]))
    path = link_in(response.content.decode()).removeprefix("http://testserver")
    client.logout()
    form_page = client.get(path, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-fresh-passphrase", "new_password2": "another-fresh-passphrase"},
    )
    owner.refresh_from_db()
    assert owner.check_password("another-fresh-passphrase")


def test_everyone_changes_their_own_password(client, owner):
    client.force_login(owner)
    bad = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "x-new-passphrase-1",
            "new_password2": "x-new-passphrase-1",
        },
    )
    assert bad.status_code == 422
    good = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "x-new-passphrase-1",
            "new_password2": "x-new-passphrase-1",
        },
    )
    assert good["Location"] == reverse("settings")
    assert client.get(reverse("thread_list")).status_code == 200  # still signed in
