"""How long what the dossier core keeps without a law requiring it is kept: drafts a citizen
started and left. Filed dossiers are archived under the archives law and never purged here.
Plain Python; the worker runs it daily (``tasks.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from dichvucong.dossiers.lifecycle import State
from dichvucong.dossiers.models import Attachment, Dossier

BATCH = 200


def stale_drafts(now: datetime | None = None):
    """Drafts nobody has touched for ``DRAFT_RETENTION_DAYS`` (never filed: no code)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DRAFT_RETENTION_DAYS)
    return Dossier.objects.filter(state=State.draft.value, code__isnull=True,
                                  updated_at__lt=cutoff)


def purge_stale_drafts(now: datetime | None = None) -> int:
    """Delete the stale drafts with their uploaded files; returns how many. A draft saved
    again meanwhile is not one any more (the delete re-checks), and its files stay."""
    purged = 0
    while ids := list(stale_drafts(now).values_list("pk", flat=True)[:BATCH]):
        files = list(Attachment.objects.filter(dossier_id__in=ids).values_list("file", flat=True))
        try:
            with transaction.atomic():
                deleted, per_model = stale_drafts(now).filter(pk__in=ids).delete()
        except ProtectedError:  # something now refers to one of them: leave the batch
            break
        purged += per_model.get(Dossier._meta.label, 0)
        kept = set(Attachment.objects.filter(file__in=files).values_list("file", flat=True))
        for name in files:
            if name and name not in kept:
                default_storage.delete(name)
        if len(ids) < BATCH:
            break
    return purged
