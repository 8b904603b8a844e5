from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from dichvucong.core import operations


def _samples(now):
    """Records to the national portal by state; the sync lag is the oldest one not yet sent."""
    from dichvucong.nationalsync.models import SyncRecord, SyncState

    found = operations.table_samples("sync", SyncRecord.objects.all(), "state",
                                     [SyncState.PENDING, SyncState.SENDING], now)
    lag = next(s.value for s in found if s.name == operations.OLDEST_JOB)
    return [*found, operations.Sample("dichvucong_sync_lag_seconds", "Age of the oldest record "
                                      "not yet synchronised with the national portal", lag)]


class NationalSyncConfig(AppConfig):
    name = "dichvucong.nationalsync"
    label = "nationalsync"
    verbose_name = _("Đồng bộ Cổng Dịch vụ công quốc gia")

    def ready(self) -> None:
        from dichvucong.dossiers.models import Attachment, DossierEvent
        from dichvucong.nationalsync import checks  # noqa: F401 - registers the checks
        from dichvucong.nationalsync.outbox import on_attachment, on_dossier_event

        post_save.connect(on_dossier_event, sender=DossierEvent,
                          dispatch_uid="nationalsync.dossier_event")
        post_save.connect(on_attachment, sender=Attachment,
                          dispatch_uid="nationalsync.attachment")
        operations.register(_samples)
