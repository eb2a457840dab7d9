from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from engine.worker import EngineWorker


class Command(BaseCommand):
    help = "Run the engine's background worker: executes runs, recovers runs of dead workers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--threads", type=int, help="Runs executed at once (default: setting).")
        parser.add_argument(
            "--poll", type=float, help="Fallback poll in seconds (default: setting)."
        )
        parser.add_argument("--worker-id", help="Unique id of this worker (default: random).")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = EngineWorker(
            threads=options["threads"], poll=options["poll"], worker_id=options["worker_id"]
        )
        worker.configure_signals()
        worker.run()
