"""The alert scan as a periodic job of the background worker."""

import time

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from dichvucong.alerts.scan import scan
from dichvucong.core import operations


@db_periodic_task(crontab(minute="*/5"), name="alerts.scan")
@lock_task("alerts.scan")
def scan_alerts() -> int:
    """Every five minutes: raise and clear the deadline alerts. One scan at a time (a scan
    that overruns makes the next one skip, not queue behind it)."""
    started = time.monotonic()
    raised = scan().raised
    operations.record_beat("alerts.scan", time.monotonic() - started)
    return raised
