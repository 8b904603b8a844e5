from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistedConfig(AppConfig):
    name = "dichvucong.assisted"
    verbose_name = _("Kênh hỗ trợ: tổ công nghệ số, đại lý, bưu điện")
