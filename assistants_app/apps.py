from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssistantsAppConfig(AppConfig):
    name = "assistants_app"
    verbose_name = "Assistant Studio"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401 - registers the checks, connects receivers
        from .roles import ensure_roles_after_migrate

        post_migrate.connect(ensure_roles_after_migrate, sender=self, dispatch_uid="ensure_roles")
