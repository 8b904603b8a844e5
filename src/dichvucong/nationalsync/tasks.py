"""Background delivery of the sync records: kicked after each commit that wrote some, and every
minute (retries fall due, a killed worker's lease expires). Every minute too, the dossiers filed
on the national portal since the last pull are taken in (``intake.py``)."""

import logging

import requests
from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dichvucong.nationalsync import intake, worker

log = logging.getLogger(__name__)


@db_task(name="nationalsync.deliver")
def deliver_sync_records() -> int:
    return worker.deliver_due().handled


@db_periodic_task(crontab(minute="*"), name="nationalsync.deliver_periodic")
def deliver_sync_records_periodically() -> int:
    return worker.deliver_due().handled


@db_periodic_task(crontab(minute="*"), name="nationalsync.intake_periodic")
def pull_national_dossiers() -> int:
    if not settings.NATIONAL_SYNC_URL:
        return 0
    try:
        report = intake.pull()
    except (requests.RequestException, ValueError) as exc:  # the next minute asks again
        health = intake.health()
        # An error once it has lasted long enough to be shown as an alert on the IOC.
        (log.error if health and health.alert else log.warning)(
            "nationalsync: the intake pull failed: %s", type(exc).__name__)
        return 0
    if report.refused:  # the codes only: the records hold personal data
        log.warning("nationalsync: %d dossier(s) from the national portal refused: %s",
                    report.refused, [o.national_code for o in report.outcomes if o.errors])
    return report.taken
