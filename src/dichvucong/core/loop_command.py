"""The shape of a delivery worker run as a process of its own (``dichvucong
deliver_notifications``, ``deliver_national_sync``): one round after another until SIGTERM or
SIGINT, which let the round in hand finish; a pause when nothing was due."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand


class LoopCommand(BaseCommand):
    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is due, then stop")
        parser.add_argument("--interval", type=float, default=2.0,
                            help="seconds to wait when nothing is due")

    def round(self) -> str:
        """Deliver one round; a line to print when something was handled, "" when not."""
        raise NotImplementedError

    def handle(self, *args, once: bool = False, interval: float = 2.0, **options) -> None:
        stopping = False

        def stop(signum, frame) -> None:  # finish the round in hand, then stop
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            line = self.round()
            if line:
                self.stdout.write(line)
            elif once:
                break
            else:
                time.sleep(interval)
