from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "dichvucong.alerts"
    verbose_name = _("Cảnh báo hồ sơ")
