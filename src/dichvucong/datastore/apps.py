from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatastoreConfig(AppConfig):
    name = "dichvucong.datastore"
    verbose_name = _("Kho dữ liệu cá nhân")

    def ready(self) -> None:
        # In ready(), not at the top: these modules load models, which needs the app registry.
        from dichvucong.datastore import signals  # noqa: F401  (connects the audit receiver)
