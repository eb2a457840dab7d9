"""Two roles from groups and permissions: Members build assistants and chat; Administrators
also manage people, connections and engine keys, and see the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path as route
from django.urls import reverse

from assistants_app.access import members_only
from assistants_app.models import Installation
from assistants_app.roles import (
    ADMINISTRATORS,
    MANAGE_CONNECTIONS,
    MANAGE_ENGINE_KEYS,
    MANAGE_PEOPLE,
    MEMBERS,
    USE_DASHBOARD,
    ensure_roles,
    role_of,
    set_role,
)
from tests.conftest import PASSWORD
from tests.support import every_route

pytestmark = pytest.mark.django_db

ADMIN_ONLY = [MANAGE_PEOPLE, MANAGE_CONNECTIONS, MANAGE_ENGINE_KEYS]


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no cached permissions


def test_the_migration_made_both_groups_with_their_permissions():
    members = Group.objects.get(name=MEMBERS)
    administrators = Group.objects.get(name=ADMINISTRATORS)
    member_perms = {f"{p.content_type.app_label}.{p.codename}" for p in members.permissions.all()}
    admin_perms = {
        f"{p.content_type.app_label}.{p.codename}" for p in administrators.permissions.all()
    }
    assert member_perms == {USE_DASHBOARD}
    assert {USE_DASHBOARD, *ADMIN_ONLY} <= admin_perms
    # Administrators inspect every record, the engine's included.
    assert {
        "engine.view_run",
        "engine.view_runstep",
        "assistants_app.view_auditevent",
    } <= admin_perms


def test_ensure_roles_is_idempotent():
    ensure_roles()
    ensure_roles()
    assert Group.objects.filter(name__in=[MEMBERS, ADMINISTRATORS]).count() == 2
    assert Group.objects.get(name=MEMBERS).permissions.count() == 1


def test_members_use_the_dashboard_but_manage_nothing(owner):
    owner = fresh(owner)
    assert role_of(owner) == "member" and not owner.is_staff
    assert owner.has_perm(USE_DASHBOARD)
    assert not any(owner.has_perm(p) for p in ADMIN_ONLY)


def test_administrators_manage_and_are_staff(owner):
    set_role(owner, "administrator")
    owner = fresh(owner)
    assert role_of(owner) == "administrator" and owner.is_staff
    assert all(owner.has_perm(p) for p in [USE_DASHBOARD, *ADMIN_ONLY])


def test_a_demoted_superuser_keeps_no_extra_power(admin_user):
    set_role(admin_user, "member")
    admin_user = fresh(admin_user)
    assert not admin_user.is_superuser and not admin_user.is_staff
    assert role_of(admin_user) == "member"
    assert not admin_user.has_perm(MANAGE_PEOPLE)


def test_the_first_run_administrator_joins_administrators():
    user = Installation.create_administrator(
        username="ada", email="ada@example.com", password="a-long-unusual-passphrase"
    )
    assert list(user.groups.values_list("name", flat=True)) == [ADMINISTRATORS]
    assert role_of(user) == "administrator"


def test_an_account_without_a_role_is_refused_every_page(client):
    nobody = get_user_model().objects.create_user("nora", "nora@example.com", PASSWORD)
    client.force_login(nobody)
    for name in ["home", "assistant_list", "thread_list", "settings"]:
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert b"Ask an administrator" in response.content
    # Changing one's own password and signing out still work.
    assert client.get(reverse("password_change")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_groups_come_back_after_a_database_flush():
    # Transactional tests flush every table; post_migrate brings the roles back each time.
    call_command("flush", interactive=False, verbosity=0)
    assert Group.objects.get(name=MEMBERS).permissions.exists()
    assert Group.objects.get(name=ADMINISTRATORS).permissions.count() > 10


@pytest.mark.django_db(transaction=True)
def test_accounts_made_before_the_roles_get_one():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("assistants_app", "0006_audit_trail_and_roles")]
    after = [("assistants_app", "0007_existing_accounts_get_roles")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    User = get_user_model()
    boss = User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    staff = User.objects.create_user("stan", "stan@example.com", PASSWORD, is_staff=True)
    plain = User.objects.create_user("pia", "pia@example.com", PASSWORD)
    already = User.objects.create_user("alma", "alma@example.com", PASSWORD)
    already.groups.add(Group.objects.get(name=MEMBERS))
    executor = MigrationExecutor(connection)  # a fresh graph, as `migrate` would load
    executor.migrate(after)
    # Back to the latest state, whatever migrations come after this one.
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    assert [role_of(fresh(u)) for u in (boss, staff, plain, already)] == [
        "administrator",
        "administrator",
        "member",
        "member",
    ]
    assert fresh(staff).has_perm(MANAGE_PEOPLE) and fresh(plain).has_perm(USE_DASHBOARD)
    assert fresh(already).groups.count() == 1


def test_the_team_pages_are_offered_to_administrators_only(client, owner, admin_user):
    client.force_login(owner)
    page = client.get(reverse("settings")).content.decode()
    assert reverse("people_list") not in page and 'id="administration"' not in page
    client.force_login(admin_user)
    page = client.get(reverse("settings")).content.decode()
    for name in ["people_list", "connection_list", "engine_key_list"]:
        assert reverse(name) in page
    assert ">Team</a>" in page


# --- The role check: on every dashboard URL, wherever its view lives -------------------------

# Not the dashboard: the admin and the engine check their own way; signing in and out is for
# everyone.
NOT_DASHBOARD = ("/admin/", "/v1/", "/login/", "/logout/")
# Open to an account without a role: first-run setup, the health check, a set-password link
# (login_not_required), and one's own password (role_not_required).
OPEN_TO_ANY_ACCOUNT = {"/healthz", "/setup/", "/set-password/x/x/", "/account/password/"}


def _dashboard_routes():
    return [(path, view) for path, view in every_route() if not path.startswith(NOT_DASHBOARD)]


def test_every_dashboard_url_pattern_carries_the_role_check():
    routes = _dashboard_routes()
    assert len(routes) > 50 and "/threads/1/runs/x/status/" in {path for path, _ in routes}
    unchecked = [path for path, view in routes if not getattr(view, "role_checked", False)]
    assert unchecked == []


def test_the_views_open_to_any_account_are_exactly_these():
    open_paths = {
        path
        for path, view in _dashboard_routes()
        if not getattr(view, "login_required", True) or not getattr(view, "role_required", True)
    }
    assert open_paths == OPEN_TO_ANY_ACCOUNT


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_account_without_a_role_gets_403_on_every_other_dashboard_url(client, owner, method):
    nobody = get_user_model().objects.create_user("nora", "nora@example.com", PASSWORD)
    client.force_login(nobody)
    let_in = {}
    for path, _ in _dashboard_routes():
        if path in OPEN_TO_ANY_ACCOUNT:
            continue
        # Refused before the view runs: even an address that names nothing is a 403, not a 404.
        response = getattr(client, method)(path)
        if response.status_code != 403:
            let_in[path] = response.status_code
    assert let_in == {}


def _a_page(request):
    return HttpResponse("a page from a module outside assistants_app")


def test_the_check_follows_the_url_not_the_views_module(owner):
    assert _a_page.__module__ == __name__  # not "assistants_app.…"
    view = members_only([route("elsewhere/", _a_page)])[0].callback
    nobody = get_user_model().objects.create_user("nora", "nora@example.com", PASSWORD)

    def asked_by(user):
        request = RequestFactory().get("/elsewhere/")
        request.user = user
        return request

    with pytest.raises(PermissionDenied):
        view(asked_by(nobody))
    assert view(asked_by(fresh(owner))).content == b"a page from a module outside assistants_app"
