from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the engine's background worker (runs, ingestion)."

    def handle(self, *args, **options) -> None:
        call_command("db_worker", interval=0.2)
