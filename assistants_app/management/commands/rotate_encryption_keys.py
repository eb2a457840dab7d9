from django.core.management.base import BaseCommand
from django.db import transaction

from assistants_app.models import Connection
from engine import model_admin


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        count = 0
        with transaction.atomic():
            # Loading decrypts with any listed key; saving encrypts with the first one.
            for connection in Connection.objects.exclude(api_key="").select_for_update():
                connection.save(update_fields=["api_key"])
                count += 1
            count += model_admin.reencrypt_keys()  # the engine's model providers
        self.stdout.write(f"Re-encrypted {count} secret(s).")
