"""The catalogue's cached public pages (``core.pagecache``) follow every change to what they
show: a procedure, its versions (a version put in force saves its procedure too), a field, an
agency. Connected in ``CatalogConfig.ready``; the bump joins the writer's transaction."""

from django.db.models.signals import post_delete, post_save

from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Field, Procedure, ProcedureVersion
from dichvucong.core import pagecache


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures
        return
    pagecache.bump(pagecache.CATALOG)


def connect() -> None:
    for model in (Procedure, ProcedureVersion, Field, Agency):
        post_save.connect(_changed, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(_changed, sender=model,
                            dispatch_uid=f"pagecache-delete-{model.__name__}")
