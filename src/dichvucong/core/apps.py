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
        # Source rows removed by a lawful erasure are recorded as such (core/audit.py).
        from django.apps import apps
        from django.db.models.signals import post_delete

        from dichvucong.core import audit

        for label in audit.SOURCE_FIELDS:
            post_delete.connect(audit.row_erased, sender=apps.get_model(label),
                                dispatch_uid=f"core-audit-erased-{label}")
