from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "dichvucong.opendata"
    verbose_name = _("Dữ liệu mở")

    def ready(self) -> None:
        from dichvucong.opendata import tasks  # noqa: F401  (registers the periodic refresh)
