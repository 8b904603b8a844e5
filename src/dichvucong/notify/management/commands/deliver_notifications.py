"""``dichvucong deliver_notifications``: the delivery worker as a process of its own (besides
the huey tasks). Several may run at once; a killed one's claims are taken over when their lease
ends (NOTIFY_LEASE_SECONDS)."""

from __future__ import annotations

from dichvucong.core.loop_command import LoopCommand
from dichvucong.notify import worker


class Command(LoopCommand):
    help = "Deliver due notifications (e-mail, SMS, Zalo) from the outbox, with retries."

    def round(self) -> str:
        report = worker.deliver_due(max_batches=1)
        if not report.handled:
            return ""
        return (f"sent={report.sent} retried={report.retried} failed={report.failed} "
                f"unconfirmed={report.unconfirmed} fell_back={report.fell_back}")
