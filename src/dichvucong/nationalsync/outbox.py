"""Dossier events → sync records, in the transaction that records the event.

Every change of a dossier is a ``DossierEvent`` written inside the change's transaction
(``dossiers.actions``, the back office's apology, the payments app's fee events); ``post_save``
runs inside it, so the dossier record (``DongBoHoSoMC``: a create for the first, an update after)
and the step (``CapNhatTienDoHoSoMC``) commit or roll back with the change. After the commit the
worker is kicked; it never runs in the citizen's or the officer's request (in production huey
runs it in its own process). Drafts are not known to the national portal and are not synced.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dichvucong.dossiers.lifecycle import State
from dichvucong.dossiers.models import DossierChannel
from dichvucong.nationalsync import records, shape
from dichvucong.nationalsync.models import SyncRecord, SyncState
from dichvucong.nationalsync.tasks import deliver_sync_records

log = logging.getLogger(__name__)


def on_dossier_event(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.to_state == State.draft.value:
        return
    try:
        with transaction.atomic():  # a broken record never blocks the dossier's change
            record_event(instance)
    except Exception:
        log.exception("nationalsync: no sync record for dossier event %s", instance.pk)


def record_event(event) -> list[SyncRecord]:
    """The dossier's record and the event's step, in the current transaction. The keys derive
    from the event: the same event recorded twice writes nothing new."""
    dossier = event.dossier
    # A dossier taken in from the portal (intake.py) is known there from the start: an update.
    known = (SyncRecord.objects.filter(dossier=dossier, service=shape.DOSSIER_SERVICE).exists()
             or dossier.channel == DossierChannel.NATIONAL_PORTAL)
    rows = [
        SyncRecord(dossier=dossier, event=event, service=shape.DOSSIER_SERVICE,
                   is_updating=known, payload=records.dossier_record(dossier),
                   key=f"dvc-{event.pk}-hoso", next_attempt_at=event.created_at),
        SyncRecord(dossier=dossier, event=event, service=shape.STEP_SERVICE,
                   payload=records.step_record(event), key=f"dvc-{event.pk}-tiendo",
                   next_attempt_at=event.created_at),
    ]
    try:
        with transaction.atomic():  # the keys are unique: an event recorded before is refused
            SyncRecord.objects.bulk_create(rows)
    except IntegrityError:
        return []
    if settings.NATIONAL_SYNC_URL:
        transaction.on_commit(kick)
    return rows


def kick() -> None:
    """Ask the worker to deliver now; the periodic run picks up whatever this misses."""
    try:
        deliver_sync_records()
    except Exception:
        log.exception("nationalsync: the delivery kick failed")


def resend(ids) -> int:
    """An operator's resend: failed records go back to the queue, due now, same key."""
    count = SyncRecord.objects.filter(pk__in=ids, state=SyncState.FAILED).update(
        state=SyncState.PENDING, next_attempt_at=timezone.now(), attempts=0)
    if count and settings.NATIONAL_SYNC_URL:
        transaction.on_commit(kick)
    return count
