from __future__ import annotations

from dataclasses import dataclass, field

from django import template
from django.db.models import Count, Max, Q

from dichvucong.nationalsync.models import SyncRecord, SyncState

register = template.Library()


@dataclass
class DossierSync:
    total: int = 0
    synced: int = 0
    failed_count: int = 0
    last_synced_at: object = None
    failed: list[SyncRecord] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return self.total - self.synced - self.failed_count


@register.simple_tag
def dossier_sync(dossier) -> DossierSync:
    """The dossier's records for the national portal: how many synced, waiting, failed (with
    the portal's answer), for the officers' workspace. One query, two when some failed."""
    rows = SyncRecord.objects.filter(dossier=dossier)
    summary = DossierSync(**rows.aggregate(
        total=Count("id"), synced=Count("id", filter=Q(state=SyncState.SYNCED)),
        failed_count=Count("id", filter=Q(state=SyncState.FAILED)),
        last_synced_at=Max("synced_at")))
    if summary.failed_count:
        summary.failed = list(rows.filter(state=SyncState.FAILED).order_by("id")[:5])
    return summary
