from django.apps import AppConfig
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
        from dichvucong.nationalsync import checks  # noqa: F401 - registers the checks
        operations.register(_samples)
