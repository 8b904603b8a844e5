from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitorConfig(AppConfig):
    name = "dichvucong.monitor"
    verbose_name = _("Trung tâm giám sát, điều hành (IOC)")

    def ready(self) -> None:
        # In ready(), not at the top: these modules load models, which needs the app registry.
        from dichvucong.monitor import signals  # noqa: F401  (connects the fact updates)
