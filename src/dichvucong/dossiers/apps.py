from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from dichvucong.core import operations


def _samples(now):
    """Dossiers filed so far (metrics)."""
    from dichvucong.dossiers.models import Dossier

    return [operations.Sample("dichvucong_dossiers_filed_total", "Dossiers filed",
                              Dossier.objects.filter(submitted_at__isnull=False).count(),
                              kind="counter")]


class DossiersConfig(AppConfig):
    name = "dichvucong.dossiers"
    verbose_name = _("Hồ sơ")

    def ready(self) -> None:
        # In ready(), not at the top: these modules load models, which needs the app registry.
        from django.db.models.signals import post_save

        from dichvucong.dossiers import auditing
        from dichvucong.dossiers.models import DossierEvent

        post_save.connect(auditing.audit_event, sender=DossierEvent,
                          dispatch_uid="dossiers-audit-event")
        operations.register(_samples)
