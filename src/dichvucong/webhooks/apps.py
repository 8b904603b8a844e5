from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "dichvucong.webhooks"
    label = "webhooks"
    verbose_name = _("Webhook cho hệ thống kết nối")

    def ready(self) -> None:
        from dichvucong.dossiers.models import DossierEvent
        from dichvucong.webhooks import checks  # noqa: F401 - registers the checks
        from dichvucong.webhooks.outbox import on_dossier_event

        post_save.connect(on_dossier_event, sender=DossierEvent,
                          dispatch_uid="webhooks.dossier_event")
