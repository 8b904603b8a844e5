from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "dichvucong.catalog"
    verbose_name = _("Danh mục thủ tục hành chính")

    def ready(self) -> None:
        from dichvucong.catalog import invalidation, tasks  # noqa: F401  (tasks: the periodic task)

        invalidation.connect()
