from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class NationalSyncConfig(AppConfig):
    name = "dichvucong.nationalsync"
    label = "nationalsync"
    verbose_name = _("Đồng bộ Cổng Dịch vụ công quốc gia")

    def ready(self) -> None:
        from dichvucong.dossiers.models import Attachment, DossierEvent
        from dichvucong.nationalsync import checks  # noqa: F401 - registers the checks
        from dichvucong.nationalsync.outbox import on_attachment, on_dossier_event

        post_save.connect(on_dossier_event, sender=DossierEvent,
                          dispatch_uid="nationalsync.dossier_event")
        post_save.connect(on_attachment, sender=Attachment,
                          dispatch_uid="nationalsync.attachment")
