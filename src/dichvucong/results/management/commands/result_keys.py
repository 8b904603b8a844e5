"""``dichvucong result_keys --demo``: make the demo CA and a PKCS#12 signing certificate for each
agency that has none (under DICHVUCONG_RESULTS_PKI_DIR), and publish them in the trust list."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dichvucong.results import services


class Command(BaseCommand):
    help = "Create the demo CA and agency signing certificates (demo and tests only)."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true")

    def handle(self, *args, demo, **options):
        if not demo or settings.MODE == "production":
            raise CommandError("Only with --demo, outside production: production keys come from "
                               "a licensed CA.")
        made = services.ensure_demo_keys()
        self.stdout.write(f"Demo signing certificates created: {made} "
                          f"(in {settings.RESULTS_PKI_DIR}).")
