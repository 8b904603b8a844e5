from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "dichvucong.hotline"
    verbose_name = _("Tổng đài *1022")
