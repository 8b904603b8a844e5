from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitorConfig(AppConfig):
    name = "dichvucong.monitor"
    verbose_name = _("Trung tâm giám sát, điều hành (IOC)")
