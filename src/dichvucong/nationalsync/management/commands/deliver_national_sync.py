"""``dichvucong deliver_national_sync``: the national portal sync worker as a process of its own
(besides the huey tasks). Several may run at once; a killed one's claims are taken over when
their lease ends (NATIONAL_SYNC_LEASE_SECONDS), and resent under the same key."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand

from dichvucong.nationalsync import worker


class Command(BaseCommand):
    help = "Send due records to the National Public Service Portal, in order per dossier."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="send what is due, then stop")
        parser.add_argument("--interval", type=float, default=2.0,
                            help="seconds to wait when nothing is due")

    def handle(self, *args, once: bool = False, interval: float = 2.0, **options) -> None:
        stopping = False

        def stop(signum, frame) -> None:  # finish the record in hand, then stop
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            report = worker.deliver_due(max_rounds=1)
            if report.handled:
                self.stdout.write(f"synced={report.synced} retried={report.retried} "
                                  f"failed={report.failed}")
            if once and not report.handled:
                break
            if not report.handled:
                time.sleep(interval)
