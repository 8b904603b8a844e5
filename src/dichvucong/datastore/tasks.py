"""The store's periodic jobs."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dichvucong.datastore.models import ShareLink


def purge_share_links(now=None) -> int:
    """Share links ended (expired or revoked) more than ``SHARE_LINK_RETENTION_DAYS`` ago;
    their accesses stay in the store's history and the audit trail."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SHARE_LINK_RETENTION_DAYS)
    deleted, _ = ShareLink.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)
                                          ).delete()
    return deleted


@db_periodic_task(crontab(hour="3", minute="41"), name="datastore.purge_share_links")
def purge_share_links_daily() -> int:
    return purge_share_links()
