from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "dichvucong.opendata"
    verbose_name = _("Dữ liệu mở")

    def ready(self) -> None:
        # In ready(), not at the top: these modules load models, which needs the app registry.
        from dichvucong.opendata import tasks  # noqa: F401  (registers the periodic refresh)
