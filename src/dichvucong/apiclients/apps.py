from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiClientsConfig(AppConfig):
    name = "dichvucong.apiclients"
    verbose_name = _("Hệ thống kết nối API")
