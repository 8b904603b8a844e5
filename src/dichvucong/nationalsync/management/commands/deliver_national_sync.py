"""``dichvucong deliver_national_sync``: the national portal sync worker as a process of its own
(besides the huey tasks). Several may run at once; a killed one's claims are taken over when
their lease ends (NATIONAL_SYNC_LEASE_SECONDS), and resent under the same keys."""

from __future__ import annotations

from dichvucong.core.loop_command import LoopCommand
from dichvucong.nationalsync import worker


class Command(LoopCommand):
    help = "Send due records to the National Public Service Portal, in order per dossier."

    def round(self) -> str:
        report = worker.deliver_due(max_rounds=1)
        if not report.handled:
            return ""
        return f"synced={report.synced} retried={report.retried} failed={report.failed}"
