from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuidanceConfig(AppConfig):
    name = "dichvucong.guidance"
    verbose_name = _("Hướng dẫn, hỏi đáp")
