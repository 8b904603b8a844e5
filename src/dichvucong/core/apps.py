from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dichvucong.core"
    verbose_name = _("Nền tảng")

    def ready(self) -> None:
        # In ready(), not at the top: these modules load models, which needs the app registry.
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from dichvucong.core import (
            auditing,
            checks,  # noqa: F401  (registers system checks)
        )

        post_save.connect(auditing.admin_change, sender=LogEntry,
                          dispatch_uid="core-audit-admin-log")
