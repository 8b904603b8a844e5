"""Dossier events → sync records: the ``sync`` step of the pipeline (``pipeline/steps.py``).

Every change of a dossier is a ``DossierEvent`` with its pipeline entry, written in the change's
transaction; the pipeline's worker then writes the dossier record (``DongBoHoSoMC``: a create
for the first, an update after) and the step (``CapNhatTienDoHoSoMC``) in one transaction with
the entry's update, and kicks the delivery worker after its commit; neither runs in the
citizen's or the officer's request. Drafts are not known to the national portal and are not
synced.

A file stored after its event (the back office attaches the result file, or a supplement taken
at the counter, once the action is recorded) is added to the dossier's latest record while that
record is unsent (the conditional update below), otherwise sent as an update of its own
(``record_file``): the portal always ends with every file.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from dichvucong.core import kicks
from dichvucong.dossiers.lifecycle import State
from dichvucong.dossiers.models import Dossier, DossierChannel, DossierEvent
from dichvucong.nationalsync import records, shape
from dichvucong.nationalsync.models import SyncRecord, SyncState
from dichvucong.nationalsync.tasks import deliver_sync_records

log = logging.getLogger(__name__)


def record_event(event) -> list[SyncRecord]:
    """The dossier's record and the event's step, in the current transaction. The keys derive
    from the event: the same event recorded twice writes nothing new.

    An event another listener writes while this one is being saved (the payments app's fee
    request, from its own ``post_save``) reaches this function first: the dossier's earlier
    events not recorded yet are recorded before it, so the records follow the events' order."""
    # The last event recorded and whether the portal knows the dossier, in one query.
    seen = SyncRecord.objects.filter(dossier_id=event.dossier_id).aggregate(
        last=Max("event_id"), known=Count("id", filter=Q(service=shape.DOSSIER_SERVICE)))
    known = bool(seen["known"])
    for earlier in (DossierEvent.objects.filter(dossier_id=event.dossier_id,
                                                id__gt=seen["last"] or 0, id__lt=event.pk)
                    .exclude(to_state=State.draft.value).order_by("id")):
        known = bool(_record(earlier, known)) or known
    return _record(event, known)


def _loaded_dossier(row) -> Dossier | None:
    """The dossier of an event or file when it came with what the records read (the
    pipeline's: ``pipeline/steps.py:preload``), else None."""
    dossier = row._state.fields_cache.get("dossier")
    if dossier is None or not {"procedure", "agency"} <= dossier._state.fields_cache.keys():
        return None
    return dossier


def _record(event, known: bool) -> list[SyncRecord]:
    """``known``: the dossier has a record already (its next one is an update)."""
    # What the records read, in one query, unless the event came with it.
    dossier = _loaded_dossier(event) or Dossier.objects.select_related(
        "procedure__field", "agency").get(pk=event.dossier_id)
    # A dossier taken in from the portal (intake.py) is known there from the start: an update.
    known = known or dossier.channel == DossierChannel.NATIONAL_PORTAL
    rows = [
        SyncRecord(dossier=dossier, event=event, service=shape.DOSSIER_SERVICE,
                   is_updating=known, payload=records.dossier_record(dossier, event.created_at),
                   key=f"dvc-{event.pk}-hoso", next_attempt_at=event.created_at),
        SyncRecord(dossier=dossier, event=event, service=shape.STEP_SERVICE,
                   payload=records.step_record(event, dossier), key=f"dvc-{event.pk}-tiendo",
                   next_attempt_at=event.created_at),
    ]
    try:
        with transaction.atomic():  # the keys are unique: an event recorded before is refused
            SyncRecord.objects.bulk_create(rows)
    except IntegrityError:
        return []
    if settings.NATIONAL_SYNC_URL:
        kicks.after_commit(kick)
    return rows


def record_file(attachment) -> SyncRecord | None:
    """The dossier's record with ``attachment`` in it: the latest one rewritten while it was
    never tried, else a new update (keyed by the file). Nothing for a dossier the portal does
    not know yet: its first record lists the file."""
    latest = (SyncRecord.objects.filter(dossier_id=attachment.dossier_id,
                                        service=shape.DOSSIER_SERVICE)
              .select_related("event").order_by("-id").first())
    if latest is None:
        return None
    dossier = _loaded_dossier(attachment) or Dossier.objects.select_related(
        "procedure__field", "agency").get(pk=attachment.dossier_id)
    at = latest.event.created_at if latest.event else latest.created_at
    payload = records.dossier_record(dossier, at)
    payload["MaHoSo"] = payload["MaHoSo"] or latest.payload.get("MaHoSo")
    if payload == latest.payload:
        return None
    # The conditional UPDATE loses to a worker's claim (the row is locked, then no longer
    # pending): the record went out without the file, so the file goes in a record of its own.
    if SyncRecord.objects.filter(pk=latest.pk, state=SyncState.PENDING, attempts=0).update(
            payload=payload):
        return latest
    now = timezone.now()
    row = SyncRecord(dossier=dossier, service=shape.DOSSIER_SERVICE, is_updating=True,
                     payload=records.dossier_record(dossier, now),
                     key=f"dvc-tep-{attachment.pk}-hoso", next_attempt_at=now)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return None
    if settings.NATIONAL_SYNC_URL:
        kicks.after_commit(kick)
    return row


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
        kicks.after_commit(kick)
    return count
