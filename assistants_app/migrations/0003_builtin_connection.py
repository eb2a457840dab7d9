from django.db import migrations


def create_builtin(apps, schema_editor):
    # The built-in engine exists out of the box and is the default backend.
    Connection = apps.get_model("assistants_app", "Connection")
    if not Connection.objects.filter(kind="builtin").exists():
        Connection.objects.create(
            name="Built-in engine",
            kind="builtin",
            is_default=not Connection.objects.filter(is_default=True).exists(),
        )


class Migration(migrations.Migration):
    dependencies = [("assistants_app", "0002_connection")]

    operations = [migrations.RunPython(create_builtin, migrations.RunPython.noop)]
