"""Set up the embedded platform with demo data and serve it: the README's first command."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dichvucong.dossiers.models import Dossier


class Command(BaseCommand):
    help = "Migrate, load the reference data, the catalogue and the demo accounts, then serve."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--setup-only", action="store_true", help="set up, do not serve")
        parser.add_argument(
            "--history", type=int, default=40_000, metavar="N",
            help="on the first run, a synthetic year of N dossiers for the monitoring centre, "
                 "the back office and open data (0: none)")

    def handle(self, *args, port, host, setup_only, history, **options):
        if settings.MODE != "demo":
            raise CommandError("Set DICHVUCONG_MODE=demo (./run demo does) to run the demo.")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_reference_data")
        call_command("load_catalog")
        call_command("create_demo_accounts")
        call_command("result_keys", demo=True)
        call_command("create_demo_clinic")
        if history > 0 and not Dossier.objects.exists():
            # A year of a district's dossiers, so the dashboards, alerts and open data show
            # something on the first visit (seconds; later runs keep what is there).
            call_command("generate_history", dossiers=history, years=1)
        call_command("create_demo_combined")  # after the history, made only on an empty table
        call_command("refresh_open_data")
        if not setup_only:
            call_command("serve", host=host, port=port)
