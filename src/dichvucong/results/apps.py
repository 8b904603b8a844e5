from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    name = "dichvucong.results"
    verbose_name = _("Kết quả giải quyết điện tử")

    def ready(self) -> None:
        from dichvucong.core import operations
        from dichvucong.results import checks, signing_jobs  # noqa: F401 - registers checks

        operations.register(signing_jobs.samples)
