"""Periodic jobs of the dossier core."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dichvucong.dossiers import resumable, retention


@db_periodic_task(crontab(hour="20", minute="23"), name="dossiers.purge_stale_drafts")
def purge_stale_drafts() -> int:
    """Daily (03:23 in Vietnam): drafts untouched for ``DRAFT_RETENTION_DAYS``, with their
    files (``retention.py``)."""
    return retention.purge_stale_drafts()


@db_periodic_task(crontab(minute="41"), name="dossiers.sweep_resumable_uploads")
def sweep_resumable_uploads() -> int:
    """Hourly: uploads begun a day ago and never filed (``resumable.py``)."""
    return resumable.sweep()
