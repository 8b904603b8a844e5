"""Run the local National Public Service Portal (``nationalsync/simulator.py``) for the demo."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dichvucong.nationalsync.simulator import Portal, serve


class Command(BaseCommand):
    help = "Serve the local National Public Service Portal simulator (demo and tests only)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.NATIONAL_SIMULATOR_PORT)

    def handle(self, *args, host, port, **options):
        if settings.MODE == "production":
            raise CommandError("The national portal simulator is for the demo and tests only.")
        portal = Portal(settings.NATIONAL_SYNC_USERNAME, settings.NATIONAL_SYNC_PASSWORD)
        self.stderr.write(f"Cổng DVCQG giả lập tại http://{host}:{port}/")
        serve(portal, host, port)
