"""Background delivery of webhooks: kicked after each commit that wrote some, and every minute
(retries fall due, a killed worker's lease expires)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dichvucong.webhooks import worker


@db_task(name="webhooks.deliver")
def deliver_webhooks() -> int:
    return worker.deliver_due().handled


@db_periodic_task(crontab(minute="*"), name="webhooks.deliver_periodic")
def deliver_webhooks_periodically() -> int:
    return worker.deliver_due().handled
