"""Background delivery of the sync records: kicked after each commit that wrote some, and every
minute (retries fall due, a killed worker's lease expires)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dichvucong.nationalsync import worker


@db_task(name="nationalsync.deliver")
def deliver_sync_records() -> int:
    return worker.deliver_due().handled


@db_periodic_task(crontab(minute="*"), name="nationalsync.deliver_periodic")
def deliver_sync_records_periodically() -> int:
    return worker.deliver_due().handled
