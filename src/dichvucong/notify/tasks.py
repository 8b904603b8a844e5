"""Background delivery: a periodic run every minute (retries fall due), and a run kicked after
each commit that enqueued something (``outbox.kick``)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dichvucong.notify import worker


@db_task(name="notify.deliver")
def deliver_notifications() -> int:
    return worker.deliver_due().handled


@db_periodic_task(crontab(minute="*"), name="notify.deliver_periodic")
def deliver_notifications_periodically() -> int:
    return worker.deliver_due().handled
