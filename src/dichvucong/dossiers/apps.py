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
        operations.register(_samples)
