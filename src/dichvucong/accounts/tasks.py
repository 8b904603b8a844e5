"""Accounts' periodic jobs."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dichvucong.accounts.models import OneTimeCode


@db_periodic_task(crontab(minute="17"), name="accounts.delete_old_codes")
def delete_old_codes() -> int:
    """Hourly: one-time codes (and pending registrations' password hashes) are kept one day."""
    deleted, _ = OneTimeCode.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
