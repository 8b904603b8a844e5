from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NationalSyncConfig(AppConfig):
    name = "dichvucong.nationalsync"
    label = "nationalsync"
    verbose_name = _("Đồng bộ Cổng Dịch vụ công quốc gia")

    def ready(self) -> None:
        from dichvucong.nationalsync import checks  # noqa: F401 - registers the checks
