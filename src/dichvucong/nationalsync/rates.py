"""The sync rate with the National Public Service Portal, for the IOC and Decision 766's
indicator 1.4 («Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG»: dossiers received in the period and synced
÷ dossiers received in the period; S1's screens: «Tổng hồ sơ phải đồng bộ», «Số lượng hồ sơ đã
đồng bộ»).

Definitions (plain Python in ``SyncRate``; the counts come from ``backlog`` and, for the
period's dossiers, ``monitor.metrics.sync_rate``):

* a dossier **must be synced** once received (the indicator's denominator); it is **synced**
  when none of its sync records is waiting or failed; **failed** when one of them failed
  (waiting for an operator's resend); otherwise **waiting** (still being sent or retried);
* steps (``CapNhatTienDoHoSoMC`` records) waiting and failed, and the oldest record not synced
  (its age tells a stalled sync from a busy one) are the backlog now, whatever the period.

Only records not synced are read (the ``state`` index): in normal running that set is small, so
no page counts the whole outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Min, Q

from dichvucong.nationalsync import shape
from dichvucong.nationalsync.models import SyncRecord, SyncState

NOT_SYNCED = (SyncState.PENDING, SyncState.SENDING, SyncState.FAILED)


def percentage(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


@dataclass(frozen=True)
class SyncRate:
    dossiers_due: int = 0  # received in the period: must be synced
    dossiers_waiting: int = 0  # of those, a record still being sent or retried (none failed)
    dossiers_failed: int = 0  # of those, a record failed
    steps_waiting: int = 0
    steps_failed: int = 0
    oldest_unsynced_at: dt.datetime | None = None

    @property
    def dossiers_synced(self) -> int:
        return max(self.dossiers_due - self.dossiers_waiting - self.dossiers_failed, 0)

    @property
    def rate(self) -> float | None:
        """Synced ÷ must be synced, per cent (2 decimals); None when nothing was received."""
        return percentage(self.dossiers_synced, self.dossiers_due)

    def oldest_age(self, now: dt.datetime) -> dt.timedelta | None:
        if self.oldest_unsynced_at is None:
            return None
        return max(now - self.oldest_unsynced_at, dt.timedelta(0))


def backlog(agency_ids: Sequence[int] | None = None) -> dict:
    """Steps waiting and failed, and the oldest record not synced, now (of ``agency_ids``'
    dossiers, or all)."""
    rows = SyncRecord.objects.filter(state__in=NOT_SYNCED)
    if agency_ids is not None:
        rows = rows.filter(dossier__agency_id__in=agency_ids)
    step = Q(service=shape.STEP_SERVICE)
    return rows.aggregate(
        steps_waiting=Count("pk", filter=step & ~Q(state=SyncState.FAILED)),
        steps_failed=Count("pk", filter=step & Q(state=SyncState.FAILED)),
        oldest_unsynced_at=Min("created_at"))
