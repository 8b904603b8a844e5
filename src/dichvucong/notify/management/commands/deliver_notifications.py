"""``dichvucong deliver_notifications``: the delivery worker as a process of its own (besides
the huey tasks). Several may run at once; a killed one's claims are taken over when their lease
ends (NOTIFY_LEASE_SECONDS)."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand

from dichvucong.notify import worker


class Command(BaseCommand):
    help = "Deliver due notifications (e-mail, SMS, Zalo) from the outbox, with retries."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is due, then stop")
        parser.add_argument("--interval", type=float, default=2.0,
                            help="seconds to wait when nothing is due")

    def handle(self, *args, once: bool = False, interval: float = 2.0, **options) -> None:
        stopping = False

        def stop(signum, frame) -> None:  # finish the message in hand, then stop
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            report = worker.deliver_due(max_batches=1)
            if report.handled:
                self.stdout.write(f"sent={report.sent} retried={report.retried} "
                                  f"failed={report.failed} unconfirmed={report.unconfirmed} "
                                  f"fell_back={report.fell_back}")
            if once and not report.handled:
                break
            if not report.handled:
                time.sleep(interval)
