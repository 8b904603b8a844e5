from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "dichvucong.webhooks"
    label = "webhooks"
    verbose_name = _("Webhook cho hệ thống kết nối")

    def ready(self) -> None:
        from dichvucong.webhooks import checks  # noqa: F401 - registers the checks
