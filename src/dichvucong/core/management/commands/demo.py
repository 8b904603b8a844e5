"""Set up the embedded platform with demo data and serve it: the README's first command."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Migrate, load the reference data, the catalogue and the demo accounts, then serve."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--setup-only", action="store_true", help="set up, do not serve")

    def handle(self, *args, port, host, setup_only, **options):
        if settings.MODE != "demo":
            raise CommandError("Set DICHVUCONG_MODE=demo (./run demo does) to run the demo.")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_reference_data")
        call_command("load_catalog")
        call_command("create_demo_accounts")
        call_command("result_keys", demo=True)
        call_command("refresh_open_data")
        if not setup_only:
            call_command("serve", host=host, port=port)
