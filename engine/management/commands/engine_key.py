from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from engine.models import EngineKey


class Command(BaseCommand):
    help = "Manage API keys of the built-in engine (/v1): create, list, revoke."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a key and print it (once).")
        create.add_argument("--name", required=True, help="What the key is for.")
        actions.add_parser("list", help="List keys (never their values).")
        revoke = actions.add_parser("revoke", help="Revoke a key by its number or prefix.")
        revoke.add_argument("key", help="The number shown by `list`, or the key's prefix.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("--name must not be empty.")
        key, raw = EngineKey.issue(name)
        self.stderr.write(f"Key #{key.pk} '{name}' created. It is shown once; store it now:")
        self.stdout.write(raw)

    def _list(self, options: dict[str, Any]) -> None:
        keys = EngineKey.objects.order_by("pk")
        if not keys:
            self.stdout.write("No keys.")
        for key in keys:
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            self.stdout.write(f"#{key.pk}\t{key.prefix}…\t{key.name}\t{state}\tlast used {used}")

    def _revoke(self, options: dict[str, Any]) -> None:
        ref = options["key"].lstrip("#")
        matches = (
            EngineKey.objects.filter(pk=int(ref))
            if ref.isdigit()
            else EngineKey.objects.filter(prefix__startswith=ref.rstrip("…"))
        )
        if len(matches) != 1:
            raise CommandError(f"No single key matches '{options['key']}'; see `engine_key list`.")
        key = matches[0]
        key.revoke()
        self.stdout.write(f"Key #{key.pk} '{key.name}' revoked.")
