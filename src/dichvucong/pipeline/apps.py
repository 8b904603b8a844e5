from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "dichvucong.pipeline"
    label = "pipeline"
    verbose_name = _("Xử lý sau sự kiện hồ sơ")

    def ready(self) -> None:
        # The only receivers of the dossier's saves: each writes one pipeline entry and runs the
        # in-transaction steps of ``steps.py``; the rest is the worker's (``worker.py``).
        from dichvucong.dossiers.models import Attachment, DossierEvent
        from dichvucong.pipeline import receivers as steps
        from dichvucong.ratings.models import Rating
        from dichvucong.results.models import Result

        post_save.connect(steps.on_event, sender=DossierEvent, dispatch_uid="pipeline.event")
        post_save.connect(steps.on_attachment, sender=Attachment,
                          dispatch_uid="pipeline.attachment")
        post_save.connect(steps.on_result, sender=Result, dispatch_uid="pipeline.result")
        post_save.connect(steps.on_rating, sender=Rating, dispatch_uid="pipeline.rating")
        post_delete.connect(steps.on_rating, sender=Rating, dispatch_uid="pipeline.rating_deleted")
