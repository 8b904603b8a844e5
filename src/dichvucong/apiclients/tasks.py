"""Periodic jobs of the machine clients."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dichvucong.apiclients import services


@db_periodic_task(crontab(hour="3", minute="41"), name="apiclients.prune_calls")
def prune_calls() -> int:
    """Daily: forget the calls older than the call log's retention, so it does not grow without
    end (``API_CLIENT_CALL_RETENTION_DAYS``)."""
    return services.prune_calls()
