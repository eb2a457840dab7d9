"""Two roles, as Django groups with permissions (never ad-hoc flags):

- **Members** build assistants and chat: `assistants_app.use_dashboard`.
- **Administrators** do that too, manage people, connections and engine keys, and inspect every
  record in the admin (which is why they are also `is_staff`).

`ensure_roles` creates both groups with their permissions. A data migration calls it, and so
does every `post_migrate` (new models bring new permissions; a test database flush empties the
groups), so the groups always match this file.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q

ADMINISTRATORS, MEMBERS = "Administrators", "Members"
ROLE_CHOICES = [("member", "Member"), ("administrator", "Administrator")]

USE_DASHBOARD = "assistants_app.use_dashboard"
MANAGE_PEOPLE = "auth.change_user"
MANAGE_CONNECTIONS = "assistants_app.change_connection"
MANAGE_ENGINE_KEYS = "engine.add_enginekey"
MANAGE_MODELS = "engine.change_modelprovider"  # the Models page: providers, aliases
# Every file and vector store of the connection, other people's chat attachments included.
MANAGE_FILES = "assistants_app.delete_filerecord"

MEMBER_PERMISSIONS = [USE_DASHBOARD]
ADMINISTRATOR_PERMISSIONS = [
    *MEMBER_PERMISSIONS,
    "auth.add_user",
    "auth.change_user",
    "auth.view_user",
    "auth.view_group",
    "assistants_app.add_connection",
    "assistants_app.change_connection",
    "assistants_app.delete_connection",
    "engine.add_enginekey",
    "engine.change_enginekey",
    "engine.add_modelprovider",
    MANAGE_MODELS,
    "engine.delete_modelprovider",
    MANAGE_FILES,
    "axes.delete_accessattempt",  # unlock someone locked out by login throttling
]
# Administrators may look at every record of these apps in the admin.
INSPECTED_APPS = ["assistants_app", "engine", "engine_files", "django_tasks_database", "axes"]


def _permissions(Permission, names: list[str]) -> list:
    wanted = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(wanted))


def ensure_roles(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create (or bring up to date) the two groups; safe to call any number of times."""
    from django.contrib.auth.management import create_permissions

    labels = {"auth", *INSPECTED_APPS}
    for label in labels:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue  # an app left out of this deployment
        # In a migration the permissions do not exist yet: Django creates them after the last
        # migration. Create them now (historical app configs have no models_module).
        had_module = getattr(config, "models_module", None)
        config.models_module = had_module or True
        try:
            create_permissions(config, verbosity=0, using=using, apps=apps)
        finally:
            config.models_module = had_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    inspect = Permission.objects.filter(
        content_type__app_label__in=INSPECTED_APPS, codename__startswith="view_"
    )
    with transaction.atomic(using=using):
        members, _ = Group.objects.using(using).get_or_create(name=MEMBERS)
        members.permissions.set(_permissions(Permission, MEMBER_PERMISSIONS))
        administrators, _ = Group.objects.using(using).get_or_create(name=ADMINISTRATORS)
        administrators.permissions.set(
            {*_permissions(Permission, ADMINISTRATOR_PERMISSIONS), *inspect}
        )


def ensure_roles_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **_):
    ensure_roles(apps, using)


def role_not_required(view):
    """Mark a dashboard view that an account without a role may use (its own password)."""
    view.role_required = False
    return view


def role_of(user) -> str:
    """ "administrator", "member", or "" for an account with neither role."""
    names = {group.name for group in user.groups.all()}
    if user.is_superuser or ADMINISTRATORS in names:
        return "administrator"
    return "member" if MEMBERS in names else ""


def manages_files(user) -> bool:
    """An administrator by role (not by the admin's "staff" tick-box) for files and stores."""
    return user.is_active and user.has_perm(MANAGE_FILES)


def set_role(user, role: str) -> None:
    """Give the person exactly one role. Administrators are staff, so the admin lets them in;
    a demoted superuser loses the superuser flag, which would otherwise keep every permission."""
    from django.contrib.auth.models import Group

    if role not in dict(ROLE_CHOICES):
        raise ValueError(f"Unknown role {role!r}")
    ensure_groups_exist()
    administrator = role == "administrator"
    with transaction.atomic():
        user.groups.set([Group.objects.get(name=ADMINISTRATORS if administrator else MEMBERS)])
        user.is_staff = administrator
        if not administrator:
            user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser"])


def ensure_groups_exist() -> None:
    from django.contrib.auth.models import Group

    if Group.objects.filter(name__in=[ADMINISTRATORS, MEMBERS]).count() < 2:
        ensure_roles()
