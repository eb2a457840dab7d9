"""Accounts made before the roles existed keep working: superusers and staff become
Administrators, everyone else a Member (only accounts without any group are touched)."""

from django.conf import settings
from django.db import migrations


def give_roles(apps, schema_editor):
    from assistants_app.roles import ADMINISTRATORS, MEMBERS, ensure_roles

    alias = schema_editor.connection.alias
    ensure_roles(apps, alias)
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    administrators = Group.objects.using(alias).get(name=ADMINISTRATORS)
    members = Group.objects.using(alias).get(name=MEMBERS)
    for user in User.objects.using(alias).filter(groups__isnull=True):
        if user.is_superuser or user.is_staff:
            user.groups.add(administrators)
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
        else:
            user.groups.add(members)


class Migration(migrations.Migration):
    dependencies = [("assistants_app", "0006_audit_trail_and_roles")]

    operations = [migrations.RunPython(give_roles, migrations.RunPython.noop)]
