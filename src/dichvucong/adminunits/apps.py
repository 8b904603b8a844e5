from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminUnitsConfig(AppConfig):
    name = "dichvucong.adminunits"
    verbose_name = _("Đơn vị hành chính")
