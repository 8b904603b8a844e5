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
        from django.apps import apps
        from django.core.signals import request_started
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete

        from dichvucong.core import audit, dbfile

        # SQLite's connections are kept across requests, never to a replaced file.
        connection_created.connect(dbfile.remember_file, dispatch_uid="core-dbfile-opened")
        request_started.connect(dbfile.close_if_replaced, dispatch_uid="core-dbfile-check")
        # Source rows removed by a lawful erasure are recorded as such (core/audit.py).
        for label in audit.SOURCE_FIELDS:
            post_delete.connect(audit.row_erased, sender=apps.get_model(label),
                                dispatch_uid=f"core-audit-erased-{label}")
